/** The outcome of a form's last submit, in words. */
export interface FormNote {
  tone: 'ok' | 'error';
  text: string;
}

/** A form's result beside its button: errors are announced at once (alert), successes politely (status). */
export function FormMessage({ note }: { note: FormNote | null }) {
  if (!note) return null;
  return (
    <span role={note.tone === 'error' ? 'alert' : 'status'} className={note.tone === 'error' ? 'error-text' : 'ok-text'}>
      {note.text}
    </span>
  );
}
