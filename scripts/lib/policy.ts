// The S3 bucket policy that makes the server enforce the role table (SPEC §3, §5 `policy`).
// STRATA_ROLE is a guard against mistakes: anyone can set it. With this policy on the
// bucket, an analyst's keys can write only branch spaces of the layers everyone writes
// (processed/ by default) and their journal records; main's spaces, the inputs and interim
// refuse them at the server. Maintainers' keys write everything under the project prefix.
// Pure: built from the configuration and the principals, printed by `just policy`.
import type { Layer } from './config/layers.js';
import type { Config } from './config/load.js';
import { parseRemoteUrl } from './remotes/url.js';

/** What a write needs: PutObject covers CopyObject's target and multipart parts. */
const WRITE_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];
const READ_ACTIONS = ['s3:GetObject'];
/** Bucket-level: listings, and the listing of stale multipart uploads a push cleans up. */
const BUCKET_ACTIONS = ['s3:ListBucket', 's3:ListBucketMultipartUploads'];

export interface Principals {
  analysts: string[];
  maintainers: string[];
}

export interface BucketPolicy {
  bucket: string;
  prefix: string;
  /** Layers of this bucket analysts may write on branches. */
  analystLayers: string[];
  policy: { Version: string; Statement: Statement[] };
}

interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal: { AWS: string[] };
  Action: string[];
  Resource?: string[];
  NotResource?: string[];
}

/**
 * principalArn: a user name becomes an IAM user ARN (Ceph RGW: no account, `arn:aws:iam:::user/NAME`;
 * AWS: the account id); a full ARN (a role, a user in another account) is kept as given.
 */
function principalArn(who: string, account = ''): string {
  return who.startsWith('arn:') ? who : `arn:aws:iam::${account}:user/${who}`;
}

/** bucketPolicies: one policy per bucket the project's S3 layers use (folder and Hub layers have none). */
export function bucketPolicies(config: Config, principals: Principals, account = ''): BucketPolicy[] {
  const byBucket = new Map<string, { prefix: string; layers: Layer[] }>();
  for (const layer of config.layers) {
    const url = parseRemoteUrl(layer.remote);
    if (typeof url === 'string' || url.scheme !== 's3') continue;
    const entry = byBucket.get(url.bucket) ?? { prefix: url.prefix, layers: [] };
    entry.layers.push(layer);
    byBucket.set(url.bucket, entry);
  }
  const analysts = principals.analysts.map((p) => principalArn(p, account));
  const maintainers = principals.maintainers.map((p) => principalArn(p, account));
  const everyone = [...analysts, ...maintainers];
  const out: BucketPolicy[] = [];
  for (const [bucket, { prefix, layers }] of byBucket) {
    const under = (rest: string) => `arn:aws:s3:::${bucket}/${prefix ? `${prefix}/` : ''}${rest}`;
    // Result layers everyone writes live per branch: PREFIX/branches/<branch>/<path>/…, and
    // their journal records under PREFIX/.strata/journal/<branch>/<path>/….
    const shared = layers.filter((l) => l.kind === 'result' && l.writers === 'everyone');
    const analystWrites = shared.flatMap((l) => [under(`branches/*/${l.path}/*`), under(`.strata/journal/*/${l.path}/*`)]);
    const statements: Statement[] = [
      { Sid: 'EveryoneReadsTheProject', Effect: 'Allow', Principal: { AWS: everyone }, Action: READ_ACTIONS, Resource: [under('*')] },
      { Sid: 'EveryoneListsTheBucket', Effect: 'Allow', Principal: { AWS: everyone }, Action: BUCKET_ACTIONS, Resource: [`arn:aws:s3:::${bucket}`] },
      { Sid: 'MaintainersWriteEverything', Effect: 'Allow', Principal: { AWS: maintainers }, Action: WRITE_ACTIONS, Resource: [under('*')] },
    ];
    if (analysts.length) {
      if (analystWrites.length) statements.push({ Sid: 'AnalystsWriteBranchResults', Effect: 'Allow', Principal: { AWS: analysts }, Action: WRITE_ACTIONS, Resource: analystWrites });
      // Explicit denies, so that a broader grant elsewhere (an IAM user policy on AWS) cannot
      // reopen main's spaces, the inputs or interim to an analyst. The journal wildcard above
      // also matches main's journal, hence its own deny (git cannot have a branch "main/x"
      // next to "main", so this names main's records only).
      statements.push(
        analystWrites.length
          ? { Sid: 'AnalystsNeverWriteAnythingElse', Effect: 'Deny', Principal: { AWS: analysts }, Action: WRITE_ACTIONS, NotResource: analystWrites }
          : { Sid: 'AnalystsNeverWrite', Effect: 'Deny', Principal: { AWS: analysts }, Action: WRITE_ACTIONS, Resource: [under('*')] },
      );
      statements.push({ Sid: 'AnalystsNeverWriteMainsJournal', Effect: 'Deny', Principal: { AWS: analysts }, Action: WRITE_ACTIONS, Resource: [under(`.strata/journal/${config.mainBranch}/*`)] });
    }
    out.push({ bucket, prefix, analystLayers: shared.map((l) => l.name), policy: { Version: '2012-10-17', Statement: statements.filter((s) => s.Principal.AWS.length) } });
  }
  return out;
}
