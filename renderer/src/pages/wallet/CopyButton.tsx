import { useState } from 'react';

/** Copies an address to the clipboard and says so. */
export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      aria-label={`Copy ${props.label}`}
      onClick={() => void navigator.clipboard?.writeText(props.text).then(() => setDone(true), () => setDone(false))}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}
