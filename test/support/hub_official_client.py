"""Every Hub operation Strata relies on, made by the official Python client (huggingface_hub)
against the Hub named by HF_ENDPOINT (the emulator in tests): a second, independent client
checking what the emulator answers. Prints one JSON object of what it observed; any
disagreement raises, naming the step.

Uploads go through Xet when hf_xet is installed (as huggingface_hub does), through LFS with
HF_HUB_DISABLE_XET=1; the steps are the same.

Run by test/integration/hub-official-client.test.ts with the pinned venv's Python:
    HF_ENDPOINT=… HF_TOKEN=… python hub_official_client.py REPO_ID WORKDIR
    HF_ENDPOINT=… HF_TOKEN=… python hub_official_client.py --cross REPO_ID WORKDIR PATH SHA256
The second form is the cross-check with @huggingface/hub on an existing repo: it downloads PATH
(uploaded by the other client) and checks its sha256, then uploads `from-python.bin` and leaves
its bytes in WORKDIR/from-python.bin for the other client to compare.
"""

import hashlib
import json
import os
import sys

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, HfFileSystem, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._runtime import is_xet_available

cross = sys.argv[1] == "--cross"
repo_id, work = sys.argv[2:4] if cross else sys.argv[1:3]
api = HfApi()
seen = {}
xet = is_xet_available()


def step(name):
    """Names the step in the error when an operation or a check fails."""

    def wrap(fn):
        try:
            seen[name] = fn()
        except Exception as e:  # noqa: BLE001 - the test shows the whole message
            raise SystemExit(f"step {name!r} failed: {type(e).__name__}: {e}") from e
        return fn

    return wrap


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def cross_check(path, want_sha256):
    downloaded = {}

    @step("download a file uploaded by @huggingface/hub over Xet (hf_hub_download)")
    def _():
        local = hf_hub_download(repo_id, path, repo_type="dataset", local_dir=os.path.join(work, "cross"))
        with open(local, "rb") as f:
            downloaded["data"] = f.read()
        got = hashlib.sha256(downloaded["data"]).hexdigest()
        check(got == want_sha256, f"{path}: sha256 {got}, uploaded {want_sha256}")
        return len(downloaded["data"])

    @step("upload an edited copy of it (hf_xet dedups against the CAS)")
    def _():
        data = downloaded["data"]
        edited = data[: len(data) * 2 // 3] + b"edited by python\n" * 1000
        with open(os.path.join(work, "edited.bin"), "wb") as f:
            f.write(edited)
        api.upload_file(path_or_fileobj=edited, path_in_repo="edited.bin", repo_id=repo_id, repo_type="dataset", commit_message="edited copy")
        return len(edited)

    @step("upload a file for @huggingface/hub to download")
    def _():
        # Random-looking and compressible stretches, so that hf_xet writes raw and LZ4 chunks.
        parts = [hashlib.sha256(b"py%d" % i).digest() * 2048 if i % 3 else b"py,row,%d\n" % i * 6000 for i in range(60)]
        data = b"".join(parts)
        with open(os.path.join(work, "from-python.bin"), "wb") as f:
            f.write(data)
        api.upload_file(path_or_fileobj=data, path_in_repo="from-python.bin", repo_id=repo_id, repo_type="dataset", commit_message="from python")
        entry = next(iter(api.get_paths_info(repo_id, ["from-python.bin"], repo_type="dataset")))
        check(entry.lfs is not None and entry.lfs.sha256 == hashlib.sha256(data).hexdigest(), "the pointer does not name the content's sha256")
        check(entry.xet_hash, "no xetHash listed for a file uploaded through Xet")
        return {"size": len(data), "xetHash": entry.xet_hash}

    print(json.dumps(seen))
    sys.exit(0)


if cross:
    cross_check(sys.argv[4], sys.argv[5])

small = b"a,b\n1,2\n"
# Above the Hub's 10 MiB limit for regular files, so it goes through LFS (or Xet).
large = hashlib.sha256(b"seed").digest() * (11 * 1024 * 1024 // 32 + 1)


@step("create repo")
def _():
    url = api.create_repo(repo_id, repo_type="dataset", private=True)
    check(api.repo_exists(repo_id, repo_type="dataset"), "repo_exists is false after create_repo")
    return str(url)


@step("commit (preupload, upload, commit)")
def _():
    ops = [CommitOperationAdd(f"processed/run-{i}/t.csv", small + str(i).encode()) for i in range(7)]
    ops.append(CommitOperationAdd("processed/big/matrix.bin", large))
    info = api.create_commit(repo_id, ops, commit_message="Seven tables and a matrix", repo_type="dataset")
    return {"oid": info.oid, "transfer": "xet" if xet else "lfs"}


@step("commit with a stale parent_commit is refused (412)")
def _():
    commits = api.list_repo_commits(repo_id, repo_type="dataset")
    stale = commits[-1].commit_id  # the repo's first commit, long since moved on
    try:
        api.create_commit(repo_id, [CommitOperationAdd("x.csv", b"x")], commit_message="stale", repo_type="dataset", parent_commit=stale)
    except HfHubHTTPError as e:
        check(e.response.status_code == 412, f"status {e.response.status_code}, not 412")
        return e.response.status_code
    raise AssertionError("a commit on a stale parent was accepted")


@step("commit with the current parent_commit")
def _():
    head = api.list_repo_commits(repo_id, repo_type="dataset")[0].commit_id
    info = api.create_commit(
        repo_id,
        [CommitOperationAdd("processed/run-0/t.csv", b"changed\n"), CommitOperationDelete("processed/run-6/t.csv")],
        commit_message="Change one, delete one",
        repo_type="dataset",
        parent_commit=head,
    )
    return {"parent": head, "oid": info.oid}


@step("branch and tag")
def _():
    api.create_branch(repo_id, branch="feat/cells", repo_type="dataset")
    api.create_tag(repo_id, tag="v1", tag_message="first results", repo_type="dataset")
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    branches = sorted(b.name for b in refs.branches)
    tags = sorted(t.name for t in refs.tags)
    check(branches == ["feat/cells", "main"], f"branches {branches}")
    check(tags == ["v1"], f"tags {tags}")
    main = next(b for b in refs.branches if b.name == "main")
    check(all(b.target_commit == main.target_commit for b in refs.branches), "the new branch is not at main's head")
    return {"branches": branches, "tags": tags}


@step("paged tree listing with expand")
def _():
    entries = list(api.list_repo_tree(repo_id, recursive=True, expand=True, repo_type="dataset", revision="feat/cells"))
    files = sorted(e.path for e in entries if e.__class__.__name__ == "RepoFile")
    check(len(files) == 8, f"{len(files)} files listed: {files}")
    for e in entries:
        if e.__class__.__name__ != "RepoFile":
            continue
        check(e.last_commit is not None and e.last_commit.oid, f"{e.path} has no last commit with expand")
        if e.path == "processed/big/matrix.bin":
            check(e.lfs is not None and e.lfs.sha256 == hashlib.sha256(large).hexdigest(), "the LFS file's sha256 is not listed")
            check(e.size == len(large), f"the LFS file's size is {e.size}")
            check(bool(e.xet_hash) == xet, f"xetHash {e.xet_hash!r} for a file uploaded {'with' if xet else 'without'} Xet")
    return {"files": files}


@step("paths info with expand")
def _():
    infos = api.get_paths_info(repo_id, ["processed/run-1/t.csv", "processed/big"], expand=True, repo_type="dataset")
    kinds = sorted(f"{i.__class__.__name__} {i.path}" for i in infos)
    check(kinds == ["RepoFile processed/run-1/t.csv", "RepoFolder processed/big"], f"paths info {kinds}")
    return kinds


@step("download at a branch and at a tag (hf_hub_download)")
def _():
    got = {}
    for rev in ["feat/cells", "v1"]:
        for path, want in [("processed/run-1/t.csv", small + b"1"), ("processed/big/matrix.bin", large)]:
            local = hf_hub_download(repo_id, path, repo_type="dataset", revision=rev, local_dir=os.path.join(work, rev.replace("/", "-")))
            with open(local, "rb") as f:
                check(f.read() == want, f"{path} at {rev}: bytes differ")
            got[f"{rev}:{path}"] = os.path.getsize(local)
    return got


@step("ranged read (HfFileSystem)")
def _():
    fs = HfFileSystem()
    part = fs.cat_file(f"datasets/{repo_id}/processed/big/matrix.bin", revision="main", start=1000, end=1064)
    check(part == large[1000:1064], "a ranged read returned other bytes")
    return len(part)


@step("list commits")
def _():
    commits = api.list_repo_commits(repo_id, repo_type="dataset")
    titles = [c.title for c in commits]
    check(titles[0] == "Change one, delete one", f"newest first: {titles}")
    check(len(commits) >= 3, f"{len(commits)} commits")
    return titles


@step("pull request: create, commit to it, merge, refs")
def _():
    pr = api.create_pull_request(repo_id, title="Promote feat/cells", repo_type="dataset")
    api.create_commit(
        repo_id,
        [CommitOperationAdd("processed/run-9/t.csv", b"from the PR\n")],
        commit_message="Add run 9",
        repo_type="dataset",
        revision=pr.git_reference,
    )
    refs = api.list_repo_refs(repo_id, repo_type="dataset", include_pull_requests=True)
    prs = [r.ref for r in (refs.pull_requests or [])]
    check(pr.git_reference in prs, f"{pr.git_reference} not in {prs}")
    api.merge_pull_request(repo_id, pr.num, repo_type="dataset")
    check(api.file_exists(repo_id, "processed/run-9/t.csv", repo_type="dataset"), "the merged file is not on main")
    return {"num": pr.num, "ref": pr.git_reference}


print(json.dumps(seen))
