import { describe, expect, it } from 'vitest';
import { MAX_CLOCK_SKEW_MS, verifySignature, type SignedRequest } from '../../../main/devnet/storage/sigv4-verifier';

// The worked examples of AWS's SigV4 documentation for S3 ("Signature
// Calculations for the Authorization Header" and "Authenticating Requests:
// Using Query Parameters"): the verifier must agree with AWS on every one.
const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AT = Date.UTC(2013, 4, 24, 0, 0, 0);
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const secretOf = (id: string) => (id === AKID ? SECRET : undefined);

function authorization(signedHeaders: string, signature: string): string {
  return `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;
}

const getObject: SignedRequest = {
  method: 'GET',
  rawPath: '/test.txt',
  query: {},
  headers: {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY,
    'x-amz-date': '20130524T000000Z',
    authorization: authorization('host;range;x-amz-content-sha256;x-amz-date', 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'),
  },
};

describe('SigV4 verification', () => {
  it.each<[string, SignedRequest]>([
    ['GET Object', getObject],
    [
      'PUT Object',
      {
        method: 'PUT',
        rawPath: '/test%24file.text',
        query: {},
        headers: {
          host: 'examplebucket.s3.amazonaws.com',
          date: 'Fri, 24 May 2013 00:00:00 GMT',
          'x-amz-date': '20130524T000000Z',
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
          'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
          authorization: authorization('date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class', '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd'),
        },
      },
    ],
    [
      'GET Bucket Lifecycle',
      {
        method: 'GET',
        rawPath: '/',
        query: { lifecycle: '' },
        headers: {
          host: 'examplebucket.s3.amazonaws.com',
          'x-amz-date': '20130524T000000Z',
          'x-amz-content-sha256': EMPTY,
          authorization: authorization('host;x-amz-content-sha256;x-amz-date', 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'),
        },
      },
    ],
    [
      'Get Bucket (List Objects)',
      {
        method: 'GET',
        rawPath: '/',
        query: { 'max-keys': '2', prefix: 'J' },
        headers: {
          host: 'examplebucket.s3.amazonaws.com',
          'x-amz-date': '20130524T000000Z',
          'x-amz-content-sha256': EMPTY,
          authorization: authorization('host;x-amz-content-sha256;x-amz-date', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'),
        },
      },
    ],
    [
      'presigned GET Object',
      {
        method: 'GET',
        rawPath: '/test.txt',
        query: {
          'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
          'X-Amz-Credential': `${AKID}/20130524/us-east-1/s3/aws4_request`,
          'X-Amz-Date': '20130524T000000Z',
          'X-Amz-Expires': '86400',
          'X-Amz-SignedHeaders': 'host',
          'X-Amz-Signature': 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
        },
        headers: { host: 'examplebucket.s3.amazonaws.com' },
      },
    ],
  ])("accepts AWS's example %s", async (_name, request) => {
    await expect(verifySignature(request, secretOf, AT + 60_000)).resolves.toMatchObject({ accessKeyId: AKID });
  });

  it('returns the payload hash the client signed, for the caller to check against the body', async () => {
    expect((await verifySignature(getObject, secretOf, AT)).payloadHash).toBe(EMPTY);
  });

  it('refuses a request changed after signing, by name', async () => {
    const changed = { ...getObject, headers: { ...getObject.headers, range: 'bytes=0-10' } };
    await expect(verifySignature(changed, secretOf, AT)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    await expect(verifySignature({ ...getObject, rawPath: '/test2.txt' }, secretOf, AT)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    await expect(verifySignature(getObject, (id) => (id === AKID ? SECRET.replace('K7', 'K8') : undefined), AT)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('refuses an unknown key, a skewed clock, an expired presigned URL and unsigned x-amz headers', async () => {
    await expect(verifySignature(getObject, () => undefined, AT)).rejects.toMatchObject({ code: 'InvalidAccessKeyId', status: 403 });
    await expect(verifySignature(getObject, secretOf, AT + MAX_CLOCK_SKEW_MS + 1000)).rejects.toMatchObject({ code: 'RequestTimeTooSkewed', status: 403 });
    await expect(verifySignature(getObject, secretOf, AT - MAX_CLOCK_SKEW_MS - 1000)).rejects.toMatchObject({ code: 'RequestTimeTooSkewed' });
    await expect(verifySignature(getObject, secretOf, AT + MAX_CLOCK_SKEW_MS - 1000)).resolves.toBeDefined();
    const presigned = { method: 'GET', rawPath: '/test.txt', query: { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': `${AKID}/20130524/us-east-1/s3/aws4_request`, 'X-Amz-Date': '20130524T000000Z', 'X-Amz-Expires': '86400', 'X-Amz-SignedHeaders': 'host', 'X-Amz-Signature': 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404' }, headers: { host: 'examplebucket.s3.amazonaws.com' } };
    await expect(verifySignature(presigned, secretOf, AT + 86_401_000)).rejects.toMatchObject({ code: 'AccessDenied', message: 'Request has expired' });
    const smuggled = { ...getObject, headers: { ...getObject.headers, 'x-amz-copy-source': '/other/secret' } };
    await expect(verifySignature(smuggled, secretOf, AT)).rejects.toMatchObject({ code: 'AccessDenied', message: expect.stringContaining('x-amz-copy-source') });
  });

  it('refuses a request without a signature, or with a malformed or foreign one', async () => {
    const { authorization: _, ...unsigned } = getObject.headers;
    await expect(verifySignature({ ...getObject, headers: unsigned }, secretOf, AT)).rejects.toMatchObject({ code: 'AccessDenied' });
    await expect(verifySignature({ ...getObject, headers: { ...getObject.headers, authorization: `AWS ${AKID}:c2lnbmF0dXJl` } }, secretOf, AT)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(verifySignature({ ...getObject, headers: { ...getObject.headers, authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request` } }, secretOf, AT)).rejects.toMatchObject({ code: 'AuthorizationHeaderMalformed' });
    const { 'x-amz-content-sha256': __, ...noHash } = getObject.headers;
    await expect(verifySignature({ ...getObject, headers: noHash }, secretOf, AT)).rejects.toMatchObject({ code: 'InvalidRequest' });
  });
});
