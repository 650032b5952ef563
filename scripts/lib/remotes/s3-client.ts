// Setting up the S3 client for a lab's store (AWS or any S3-compatible server) from the
// variables labs already use (AWS_ENDPOINT_URL_S3, AWS_PROFILE, AWS_CA_BUNDLE, …), and
// explaining its errors: a user can fix credentials, a profile, an address or a bucket name
// when told which, so those become StrataErrors with a hint; the rest keep their context.
import fs from 'node:fs';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { RefusedError, StrataError } from '../errors.js';
import { TRIES } from './retry-policy.js';

export function s3ClientConfig(env: Record<string, string | undefined>, transfers: number, idleTimeoutMs = 120_000): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const config: S3ClientConfig = {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Each SDK request is tried as often as every other request (retry-policy.ts).
    maxAttempts: TRIES,
    retryMode: 'adaptive',
    // socketTimeout is an idle timeout: a stalled server fails the request (the SDK retries it),
    // while a slow but steady transfer of any size goes on. (requestTimeout would only warn.)
    requestHandler: {
      connectionTimeout: Math.min(5_000, idleTimeoutMs),
      socketTimeout: idleTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: transfers * 2 },
      httpsAgent: { keepAlive: true, maxSockets: transfers * 2 },
    },
  };
  if (env.AWS_CA_BUNDLE) {
    // The JavaScript SDK does not read AWS_CA_BUNDLE itself; the CLI and rclone do, so labs set it.
    try {
      (config.requestHandler as { httpsAgent: Record<string, unknown> }).httpsAgent.ca = fs.readFileSync(env.AWS_CA_BUNDLE);
    } catch (e) {
      throw new StrataError(`AWS_CA_BUNDLE names ${env.AWS_CA_BUNDLE}, which cannot be read (${(e as NodeJS.ErrnoException).code}).`, 'Point AWS_CA_BUNDLE at your organisation\'s CA certificate file (PEM), or remove it.', 2);
    }
  }
  if (endpoint) {
    config.endpoint = endpoint;
    // Self-hosted stores rarely have per-bucket DNS names.
    config.forcePathStyle = true;
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
  } else if (env.AWS_PROFILE) {
    config.profile = env.AWS_PROFILE;
  }
  return config;
}

/** The client and what its errors are explained with. */
export interface S3Connection {
  client: S3Client;
  /** The same client with one try per request, for downloads: apply/download.ts retries a whole file. */
  reader: S3Client;
  bucket: string;
  endpoint: string | undefined;
  /** The AWS_PROFILE the credentials come from, when they come from one (for messages). */
  profile: string | undefined;
  /** The CA bundle (AWS_CA_BUNDLE) the plain signed requests trust too. */
  ca: Buffer | undefined;
}

export function connectS3(bucket: string, env: Record<string, string | undefined>, transfers: number, idleTimeoutMs = 120_000): S3Connection {
  const config = s3ClientConfig(env, transfers, idleTimeoutMs);
  const client = new S3Client(config);
  // Uploads are checked end to end by Content-MD5 (one request) or the multipart ETag
  // (parts). The SDK would also hash every in-memory body with SHA-256 for the signature —
  // a second pass over every byte of a large file — so the payload is declared unsigned,
  // as the SDK itself does for streamed bodies.
  client.middlewareStack.add(
    (next) => (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers;
      if (headers && !('x-amz-content-sha256' in headers)) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'strataUnsignedPayload' },
  );
  return {
    client,
    reader: new S3Client({ ...config, maxAttempts: 1 }),
    bucket,
    endpoint: env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL,
    profile: env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? undefined : env.AWS_PROFILE,
    ca: (config.requestHandler as { httpsAgent: { ca?: Buffer } }).httpsAgent.ca,
  };
}

/** Network errors that mean "wrong address or no network", not a bug. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** explainS3Error turns SDK errors a user can fix (credentials, bucket) into StrataErrors; the rest pass through with context. */
export function explainS3Error(where: Pick<S3Connection, 'bucket' | 'endpoint' | 'profile'>, what: string, e: unknown): Error {
  const err = e as Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
  const status = err.$metadata?.httpStatusCode;
  const name = err.name ?? '';
  const code = (err as NodeJS.ErrnoException).code ?? (err as { cause?: { code?: string } }).cause?.code ?? '';
  if (UNREACHABLE.has(code)) {
    return new StrataError(`Cannot ${what}: the S3 endpoint ${where.endpoint ?? '(AWS)'} is not reachable (${code}).`, 'Check AWS_ENDPOINT_URL_S3 in .env, and your network or VPN; then run again.', 2);
  }
  if ((name === 'CredentialsProviderError' || (/credential|profile/i.test(err.message) && !status)) && where.profile) {
    // The profile is named but gives no keys: "set AWS_PROFILE" would send people in a circle.
    return new StrataError(
      `Cannot ${what}: the AWS profile "${where.profile}" (AWS_PROFILE) was not found, or has no keys, in ~/.aws/credentials or ~/.aws/config.`,
      'Check the name against `aws configure list-profiles` (or the [profile NAME] sections of those files), fix AWS_PROFILE in .env, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead.',
      2,
    );
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(err.message) && !status) {
    return new StrataError(`Cannot ${what}: no AWS credentials were found.`, 'Set AWS_PROFILE in .env (a profile from ~/.aws/credentials), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.', 2);
  }
  if (name === 'AccessDenied' && /^(write|upload|copy|delete)/.test(what)) {
    // The keys are valid (the listing worked) but may not write here: the bucket policy
    // that enforces the role table (just policy), or a store's own permissions.
    return new RefusedError(
      `Cannot ${what}: the store refused to write it (AccessDenied). These S3 keys may not change this part of the project: with the bucket policy from \`just policy\`, analysts write only their branches' results.`,
      'If you are a maintainer, use your maintainer keys (AWS_PROFILE, or the access keys, in .env); analysts push results from a branch with `just put-results`. See "Roles on S3" in docs/user-guide.md.',
    );
  }
  if (status === 403 || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'AccessDenied') {
    return new StrataError(`Cannot ${what}: the store refused the credentials (${name || status}).`, 'Check AWS_PROFILE / the access keys in .env, and that this user may use the bucket.', 2);
  }
  if (name === 'NoSuchBucket') return new StrataError(`Cannot ${what}: the bucket "${where.bucket}" does not exist.`, 'Check "remote" in strata.yaml.', 2);
  const cause = err.message || name || String(e);
  const wrapped = new Error(`${what}: ${cause}`);
  // The status and Retry-After stay with the error, for the retry rule of a caller (a download).
  return Object.assign(wrapped, { status, retryAfter: (err as { retryAfter?: string }).retryAfter });
}
