#!/usr/bin/env node
// adopt: bring an existing lab project to Strata, in place. Run it from the project's top
// folder (a git repository) after installing Strata:
//
//   npm install --save-dev rust-just <strata source>
//   node node_modules/strata/templates/adopt/adopt.mjs [--remote s3://BUCKET/PREFIX]
//        [--hub hf://datasets/ORG/NAME] [--main-branch NAME] [--replace-make-sync] [--dry-run]
//
// Which project it is decides what it does (docs/new-project.md):
//   - a Justfile with the lab's rclone recipes (rclone.mjs): the old Justfile is kept as
//     Justfile.rclone, the new one imports Strata's recipes instead; strata.yaml names the
//     S3 prefix the rclone recipes used (found with `just --evaluate`, or --remote).
//   - a Cookiecutter Data Science project, no Justfile (ccds.mjs): strata.yaml with the layer
//     table of its data/ folders (prefix from --remote, or the Makefile's aws s3 sync), a
//     Justfile, .env.example, and .gitignore lines that keep the layer folders in git. The
//     Makefile stays as it is; --replace-make-sync makes its sync rules call just.
// It never overwrites a file without keeping the old one, never touches data, the bucket or
// git history, and puts everything back when the result does not work. --dry-run writes
// nothing; run again, it changes nothing.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { adoptCcds } from './ccds.mjs';
import { AdoptError, checkProject, findJustfile, importsStrata, justBinary } from './common.mjs';
import { adoptRclone } from './rclone.mjs';

function parseArgs(argv) {
  const opts = { dryRun: false, replaceMakeSync: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new AdoptError(`${a} needs a value`);
      return v;
    };
    if (a === '--dry-run') opts.dryRun = true;
    else if (a === '--replace-make-sync') opts.replaceMakeSync = true;
    else if (a.startsWith('--remote')) opts.remote = value();
    else if (a.startsWith('--hub')) opts.hub = value();
    else if (a.startsWith('--main-branch')) opts.mainBranch = value();
    else if (a === '-h' || a === '--help') opts.help = true;
    else throw new AdoptError(`unknown argument ${a} (see --help)`);
  }
  return opts;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    const text = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
    const end = text.findIndex((l) => l.startsWith('import '));
    process.stdout.write(text.slice(1, end).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
    return;
  }
  const root = process.cwd();
  const say = (s = '') => process.stdout.write(s + '\n');
  const strataJust = checkProject(root);
  const just = justBinary(root);
  const justfile = findJustfile(root);
  // A Justfile of the project's own, without Strata's recipes: the rclone switch. No Justfile
  // (ccds makes none), or one that imports Strata already: the project's files are completed.
  if (justfile && !importsStrata(fs.readFileSync(justfile, 'utf8'))) {
    if (opts.replaceMakeSync) throw new AdoptError('--replace-make-sync is for a Cookiecutter Data Science project without a Justfile');
    adoptRclone({ root, justfile, just, strataJust, opts, say });
  } else {
    adoptCcds({ root, justfile, just, opts, say });
  }
}

// Run only as a program (the modules beside it can be imported by tests).
if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  try {
    main();
  } catch (e) {
    if (e instanceof AdoptError) {
      process.stderr.write(`adopt: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
