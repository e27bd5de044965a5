import type { FieldIssue } from '../../../../contract';
import type { StorageSetParams, StorageStatus } from '../../../../contract/domains/storage';

export type EndpointKind = 'r2' | 'aws' | 's3';

/** What the Settings → Storage form holds. Secrets start empty and are cleared after each save. */
export interface StorageForm {
  kind: EndpointKind;
  accountId: string;
  awsRegion: string;
  url: string;
  s3Region: string;
  pathStyle: boolean;
  bucket: string;
  writeKeyId: string;
  writeSecret: string;
  readKeyId: string;
  readSecret: string;
  passphrase: string;
  passphraseAgain: string;
}

export type StorageField = keyof StorageForm;

const EMPTY: StorageForm = {
  kind: 'r2',
  accountId: '',
  awsRegion: '',
  url: '',
  s3Region: 'us-east-1',
  pathStyle: true,
  bucket: '',
  writeKeyId: '',
  writeSecret: '',
  readKeyId: '',
  readSecret: '',
  passphrase: '',
  passphraseAgain: '',
};

/** The saved, non-secret values, so the form shows what is set; secret fields stay empty. */
export function formFromStatus(status: StorageStatus | null): StorageForm {
  const location = status?.location;
  if (!location) return { ...EMPTY };
  const choice = location.choice;
  return {
    ...EMPTY,
    kind: choice.kind,
    accountId: choice.kind === 'r2' ? choice.accountId : '',
    awsRegion: choice.kind === 'aws' ? choice.region : '',
    url: choice.kind === 's3' ? choice.url : '',
    s3Region: choice.kind === 's3' ? choice.region : EMPTY.s3Region,
    pathStyle: location.forcePathStyle,
    bucket: location.bucket,
    writeKeyId: status?.write?.accessKeyId ?? '',
    readKeyId: status?.read?.accessKeyId ?? '',
  };
}

/**
 * The storage.set request for the form, or the field the browser can already
 * tell is wrong. Empty secrets are left out (the core keeps the saved ones
 * for the same key ids); everything else is checked by the core.
 */
export function paramsFromForm(form: StorageForm, askPassphrase: boolean): { params: StorageSetParams } | { issue: FieldIssue } {
  if (askPassphrase && form.passphrase !== form.passphraseAgain) return { issue: { path: 'passphraseAgain', message: 'the two passphrases differ' } };
  const endpoint =
    form.kind === 'r2' ? { kind: 'r2' as const, accountId: form.accountId } : form.kind === 'aws' ? { kind: 'aws' as const, region: form.awsRegion } : { kind: 's3' as const, url: form.url, region: form.s3Region || 'us-east-1' };
  const pair = (accessKeyId: string, secret: string) => ({ accessKeyId, ...(secret === '' ? {} : { secretAccessKey: secret }) });
  return {
    params: {
      endpoint,
      bucket: form.bucket,
      ...(form.kind === 's3' ? { forcePathStyle: form.pathStyle } : {}),
      write: pair(form.writeKeyId, form.writeSecret),
      read: pair(form.readKeyId, form.readSecret),
      ...(askPassphrase && form.passphrase !== '' ? { passphrase: form.passphrase } : {}),
    },
  };
}

/** The form field a core issue path points at. */
export function fieldOfIssue(path: string, kind: EndpointKind): StorageField | null {
  const fields: Record<string, StorageField> = {
    'endpoint.accountId': 'accountId',
    'endpoint.url': 'url',
    'endpoint.region': kind === 'aws' ? 'awsRegion' : 's3Region',
    bucket: 'bucket',
    'write.accessKeyId': 'writeKeyId',
    'write.secretAccessKey': 'writeSecret',
    'read.accessKeyId': 'readKeyId',
    'read.secretAccessKey': 'readSecret',
    passphrase: 'passphrase',
    passphraseAgain: 'passphraseAgain',
  };
  return fields[path] ?? null;
}
