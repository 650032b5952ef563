// policy: print the S3 bucket policy that makes the server enforce the role table, and the
// set-up around it (users, keys, applying it). The JSON goes to stdout, the set-up to
// stderr, so `just policy … > policy.json` writes a file ready to apply.
import { loadConfig } from '../config/load.js';
import { findProjectRoot } from '../config/root.js';
import type { Args } from '../cli.js';
import { StrataError } from '../errors.js';
import { bucketPolicies } from '../policy.js';

const list = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

export async function runPolicy(args: Args, usage: string): Promise<void> {
  const analysts = list(args.analysts);
  const maintainers = list(args.maintainers);
  if (!maintainers.length) {
    throw new StrataError('Name the S3 users (or role ARNs) of each role.', `Usage: ${usage}\n  e.g. just policy --analysts ana,ben --maintainers maya`, 2);
  }
  const account = typeof args.account === 'string' ? args.account : '';
  if (account && !/^\d{12}$/.test(account)) throw new StrataError(`--account "${account}" is not an AWS account id (12 digits).`, 'Leave it out on Ceph RGW and other stores without accounts.', 2);
  const config = loadConfig(findProjectRoot(process.cwd()));
  const policies = bucketPolicies(config, { analysts, maintainers }, account);
  if (!policies.length) throw new StrataError('No layer of this project is on S3, so there is no bucket policy to print.', 'Folder remotes follow the file system\'s permissions; for the Hub, see "Roles on the Hub" in docs/user-guide.md.', 2);
  const note = (line = '') => process.stderr.write(`${line}\n`);
  for (const p of policies) {
    process.stdout.write(JSON.stringify(p.policy, null, 2) + '\n');
    const root = `s3://${p.bucket}${p.prefix ? `/${p.prefix}` : ''}`;
    note(`# Bucket policy for ${root} (above, on stdout). Analysts (${analysts.join(', ') || 'none'}) write only branch spaces of ${p.analystLayers.join(', ') || 'no layer'};`);
    note(`# maintainers (${maintainers.join(', ')}) write everything under ${root}/. Everyone named reads it all.`);
    note('# Set-up (docs/user-guide.md, "Roles on S3"):');
    note('#   1. One S3 user per person, none of them the bucket owner (the owner is never limited by a policy):');
    if (account) note(`#        AWS: IAM users (or roles) with no s3 grants of their own on ${p.bucket}`);
    else for (const u of [...analysts, ...maintainers].filter((u) => !u.startsWith('arn:'))) note(`#        radosgw-admin user create --uid=${u} --display-name="${u}"`);
    note('#   2. Each person puts their own keys in .env (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). STRATA_ROLE then only picks the recipes;');
    note('#      the server decides what the keys may write.');
    note('#   3. The bucket owner applies the policy:');
    note(`#        just policy --analysts ${analysts.join(',') || '…'} --maintainers ${maintainers.join(',')}${account ? ` --account ${account}` : ''} > policy.json`);
    note(`#        aws s3api put-bucket-policy --bucket ${p.bucket} --policy file://policy.json${config.env.AWS_ENDPOINT_URL_S3 || config.env.AWS_ENDPOINT_URL ? ' --endpoint-url "$AWS_ENDPOINT_URL_S3"' : ''}`);
    note('#   4. Check: with an analyst\'s keys, `just put-inputs --dry-run --role maintainer` plans, and `just put-inputs --role maintainer` is refused by the store.');
  }
}
