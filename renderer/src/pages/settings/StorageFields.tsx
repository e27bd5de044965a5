import { useId, type InputHTMLAttributes } from 'react';
import type { StorageStatus } from '../../../../contract/domains/storage';
import type { EndpointKind, StorageField, StorageForm } from './storage-form';

interface FieldsProps {
  form: StorageForm;
  change: (patch: Partial<StorageForm>) => void;
  issues: Partial<Record<StorageField, string>>;
  status: StorageStatus | null;
  askPassphrase: boolean;
}

const KINDS: Array<{ kind: EndpointKind; label: string; detail: string }> = [
  { kind: 'r2', label: 'Cloudflare R2', detail: 'No fees for downloads: the usual choice. Needs your account id.' },
  { kind: 'aws', label: 'Amazon S3', detail: 'Needs the bucket\u2019s region.' },
  { kind: 's3', label: 'Other S3-compatible server', detail: 'MinIO, Backblaze B2 or your own server, by its URL.' },
];

/** One labelled input, its help or its error (announced with the field), keyboard-first. */
function Field(props: { label: string; field: StorageField; issue: string | undefined; help?: string } & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>) {
  const { label, field, issue, help, ...input } = props;
  const id = useId();
  const note = issue ?? help;
  return (
    <label>
      {label}
      <input {...input} name={field} aria-invalid={issue ? true : undefined} aria-describedby={note ? `${id}-note` : undefined} />
      {note && (
        <span id={`${id}-note`} className={issue ? 'error-text' : 'muted'}>
          {note}
        </span>
      )}
    </label>
  );
}

/** The fields of Settings → Storage: where the bucket is, its name, the two key pairs and (headless) the storage passphrase. */
export function StorageFields({ form, change, issues, status, askPassphrase }: FieldsProps) {
  const name = useId();
  const keepHint = (side: 'write' | 'read', keyId: string) => {
    const saved = status?.[side];
    return saved?.secretSet && saved.accessKeyId === keyId.trim() ? 'Saved. Leave empty to keep it.' : undefined;
  };
  const text = (field: StorageField) => ({ value: form[field] as string, onChange: (e: { target: { value: string } }) => change({ [field]: e.target.value }), issue: issues[field], field });
  const secret = { type: 'password', autoComplete: 'new-password', spellCheck: false } as const;

  return (
    <>
      <div className="network-choice">
        <fieldset>
          <legend>Where is the bucket?</legend>
          {KINDS.map(({ kind, label, detail }) => (
            <label key={kind} className="choice">
              <input type="radio" name={name} value={kind} checked={form.kind === kind} onChange={() => change({ kind, pathStyle: kind !== 'aws' })} />
              <span>
                <strong>{label}</strong>
                <span className="muted choice-detail">{detail}</span>
              </span>
            </label>
          ))}
        </fieldset>
      </div>
      {form.kind === 'r2' && <Field label="Cloudflare account id" {...text('accountId')} spellCheck={false} help="Cloudflare dashboard → R2 → Account details: 32 characters." />}
      {form.kind === 'aws' && <Field label="AWS region" {...text('awsRegion')} spellCheck={false} placeholder="us-east-1" />}
      {form.kind === 's3' && (
        <>
          <Field label="S3 URL" {...text('url')} type="url" spellCheck={false} placeholder="https://minio.example.com:9000" />
          <Field label="Signing region" {...text('s3Region')} spellCheck={false} help="us-east-1 unless your server says otherwise." />
          <label className="inline">
            <input type="checkbox" checked={form.pathStyle} onChange={(e) => change({ pathStyle: e.target.checked })} /> Path-style URLs (server/bucket/key; most servers need this)
          </label>
        </>
      )}
      <Field label="Bucket" {...text('bucket')} spellCheck={false} help="3 to 63 lowercase letters, digits and hyphens." />
      <fieldset className="limits storage-keys">
        <legend>Write key (stays on this machine)</legend>
        <Field label="Write access key id" {...text('writeKeyId')} spellCheck={false} autoComplete="off" />
        <Field label="Write secret access key" {...text('writeSecret')} {...secret} help={keepHint('write', form.writeKeyId)} />
      </fieldset>
      <fieldset className="limits storage-keys">
        <legend>Read key (published on chain: read-only!)</legend>
        <Field label="Read access key id" {...text('readKeyId')} spellCheck={false} autoComplete="off" />
        <Field label="Read secret access key" {...text('readSecret')} {...secret} help={keepHint('read', form.readKeyId)} />
      </fieldset>
      {askPassphrase && (
        <fieldset className="limits storage-keys">
          <legend>Storage passphrase</legend>
          <Field label="Storage passphrase" {...text('passphrase')} {...secret} help="Encrypts the secret keys on this machine (no OS keychain here). Needed when you enter a secret; you type it again after each start." />
          <Field label="Repeat the storage passphrase" {...text('passphraseAgain')} {...secret} />
        </fieldset>
      )}
    </>
  );
}
