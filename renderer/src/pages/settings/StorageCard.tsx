import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ContractError } from '../../../../contract';
import type { StorageStatus } from '../../../../contract/domains/storage';
import { Card, EmptyState } from '../../components/Card';
import { FormMessage, type FormNote } from '../../components/FormMessage';
import { useClient } from '../../client-context';
import { useStore } from '../../store';
import { storageSelectors } from '../../store/slices/storage';
import { StorageFields } from './StorageFields';
import { fieldOfIssue, formFromStatus, paramsFromForm, type StorageField, type StorageForm } from './storage-form';
import { StorageTestResults } from './StorageTestResults';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Settings → Storage: this peer's own S3-compatible bucket and its two key
 * pairs. Secrets are typed into password fields, sent to the core once and
 * never shown again; the card only learns whether each one is set.
 */
export function StorageCard() {
  const client = useClient();
  const status = useStore(storageSelectors.status);
  const test = useStore(storageSelectors.test);
  const receiveStorageStatus = useStore((s) => s.receiveStorageStatus);
  const startStorageTest = useStore((s) => s.startStorageTest);
  const receiveStorageTestResult = useStore((s) => s.receiveStorageTestResult);
  const failStorageTest = useStore((s) => s.failStorageTest);
  const clearStorageTest = useStore((s) => s.clearStorageTest);
  const [form, setForm] = useState<StorageForm>(() => formFromStatus(status));
  const [issues, setIssues] = useState<Partial<Record<StorageField, string>>>({});
  const [note, setNote] = useState<FormNote | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmClear, setConfirmClear] = useState(false);
  const [unlockPassphrase, setUnlockPassphrase] = useState('');
  const confirmButton = useRef<HTMLButtonElement>(null);
  const loaded = useRef(false);

  useEffect(() => {
    void client.request('storage.get', {}).then((s) => {
      receiveStorageStatus(s);
      if (!loaded.current) setForm(formFromStatus(s));
      loaded.current = true;
    }, (e: unknown) => setNote({ tone: 'error', text: message(e) }));
  }, [client, receiveStorageStatus]);
  useEffect(() => {
    if (confirmClear) confirmButton.current?.focus();
  }, [confirmClear]);

  const askPassphrase = status?.saveTo === 'passphrase-file';
  const change = (patch: Partial<StorageForm>) => setForm((f) => ({ ...f, ...patch }));
  const applied = (s: StorageStatus, text: string) => {
    receiveStorageStatus(s);
    setNote({ tone: 'ok', text });
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setIssues({});
    const built = paramsFromForm(form, askPassphrase);
    if ('issue' in built) {
      setIssues({ [built.issue.path as StorageField]: built.issue.message });
      setNote({ tone: 'error', text: built.issue.message });
      return;
    }
    setBusy(true);
    try {
      const saved = await client.request('storage.set', built.params);
      setForm(formFromStatus(saved));
      clearStorageTest();
      applied(saved, 'Saved. Press Test storage to check the bucket and both keys.');
    } catch (error) {
      const found = error instanceof ContractError ? (error.issues ?? []) : [];
      setIssues(Object.fromEntries(found.flatMap((i) => (fieldOfIssue(i.path, form.kind) ? [[fieldOfIssue(i.path, form.kind), i.message]] : []))));
      setNote({ tone: 'error', text: found.length ? found.map((i) => i.message).join('; ') : message(error) });
    } finally {
      setBusy(false);
    }
  };

  const runTest = async () => {
    startStorageTest();
    try {
      receiveStorageTestResult(await client.request('storage.test', {}));
    } catch (error) {
      // A slow link can outlast the request's timeout: the test goes on in the core and its result arrives as an event.
      if (error instanceof ContractError && error.code === 'TIMEOUT') return;
      failStorageTest(message(error));
    }
  };

  const unlock = async (event: FormEvent) => {
    event.preventDefault();
    try {
      applied(await client.request('storage.unlock', { passphrase: unlockPassphrase }), 'Unlocked for this run of the app.');
    } catch (error) {
      setNote({ tone: 'error', text: message(error) });
    } finally {
      setUnlockPassphrase('');
    }
  };

  const clear = async () => {
    setConfirmClear(false);
    try {
      const cleared = await client.request('storage.clear', {});
      setForm(formFromStatus(cleared));
      clearStorageTest();
      applied(cleared, 'Removed the bucket and both key pairs from this machine.');
    } catch (error) {
      setNote({ tone: 'error', text: message(error) });
    }
  };

  const location = status?.location ?? null;
  const canTest = location !== null && status?.problem === null && !test.running;
  return (
    <Card title="Storage" testId="storage-card" wide>
      {status === null ? (
        <p className="muted">Loading…</p>
      ) : location === null ? (
        <EmptyState title="No bucket yet">
          <p>Each peer keeps its updates in its own S3-compatible bucket (Cloudflare R2, Amazon S3, MinIO…), so the run needs no central server. Tandem needs two key pairs for it:</p>
          <ul>
            <li>a <strong>write key</strong> that uploads your updates; it never leaves this machine;</li>
            <li>a <strong>read key</strong> that Tandem publishes on the chain so other peers can download them: it becomes public, so give it read access only.</li>
          </ul>
        </EmptyState>
      ) : (
        <dl className="facts" data-testid="storage-summary">
          <dt>Bucket</dt>
          <dd>
            <code>{location.bucket}</code> at <code>{location.endpoint}</code>
          </dd>
          <dt>Write key</dt>
          <dd>
            <code>{status.write?.accessKeyId}</code> {status.write?.secretSet ? '(secret set)' : '(secret missing)'}
          </dd>
          <dt>Read key</dt>
          <dd>
            <code>{status.read?.accessKeyId}</code> {status.read?.secretSet ? '(secret set; published on chain)' : '(secret missing)'}
          </dd>
          <dt>Secrets</dt>
          <dd>{status.secretsIn === 'os-keychain' ? 'in the OS keychain' : status.locked ? 'encrypted with your storage passphrase: locked' : 'encrypted with your storage passphrase: unlocked'}</dd>
        </dl>
      )}
      {status?.problem && !status.locked && (
        <p className="banner banner-warn" role="note">
          {status.problem}
        </p>
      )}
      {status?.locked && (
        <form className="form storage-form" onSubmit={(e) => void unlock(e)} aria-label="Unlock the storage keys" data-testid="storage-unlock">
          <label>
            Storage passphrase
            <input type="password" autoComplete="current-password" value={unlockPassphrase} onChange={(e) => setUnlockPassphrase(e.target.value)} aria-describedby="storage-unlock-help" />
            <span id="storage-unlock-help" className="muted">
              The storage keys are locked since the app started: unlock them to test or train.
            </span>
          </label>
          <div>
            <button type="submit" className="primary" disabled={unlockPassphrase === ''}>
              Unlock
            </button>
          </div>
        </form>
      )}
      {status !== null && (
        <form className="form storage-form" onSubmit={(e) => void save(e)} noValidate aria-label="Storage set-up">
          <StorageFields form={form} change={change} issues={issues} status={status} askPassphrase={askPassphrase} />
          <div className="toolbar">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Saving…' : 'Use this bucket'}
            </button>
            <button type="button" disabled={!canTest} onClick={() => void runTest()} aria-describedby={canTest ? undefined : 'storage-test-why'}>
              {test.running ? 'Testing…' : 'Test storage'}
            </button>
            {location && !confirmClear && (
              <button type="button" onClick={() => setConfirmClear(true)}>
                Clear storage…
              </button>
            )}
            <FormMessage note={note} />
          </div>
          {!canTest && !test.running && (
            <p id="storage-test-why" className="muted">
              {location === null ? 'Save a bucket and keys first, then test them.' : 'Unlock the storage keys (or enter the missing secrets) to test them.'}
            </p>
          )}
          {confirmClear && (
            <div role="group" aria-label="Confirm removal" className="banner banner-warn" onKeyDown={(e) => e.key === 'Escape' && setConfirmClear(false)}>
              <p>Remove the bucket and both key pairs from this machine? The bucket itself and its objects are not touched.</p>
              <button type="button" ref={confirmButton} onClick={() => void clear()}>
                Remove them
              </button>{' '}
              <button type="button" onClick={() => setConfirmClear(false)}>
                Cancel
              </button>
            </div>
          )}
        </form>
      )}
      <StorageTestResults test={test} />
    </Card>
  );
}
