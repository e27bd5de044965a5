import type { ReactNode } from 'react';

/** A titled panel of a page; `wide` spans every column of the page's grid (forms with a results table). */
export function Card(props: { title: string; children: ReactNode; testId?: string; wide?: boolean }) {
  return (
    <section className={props.wide ? 'card card-wide' : 'card'} aria-label={props.title} data-testid={props.testId}>
      <h2 className="card-title">{props.title}</h2>
      {props.children}
    </section>
  );
}

/** Shown where there is nothing yet: says why, and what will make something appear. */
export function EmptyState(props: { title: string; children: ReactNode }) {
  return (
    <div className="empty-state" role="note">
      <p className="empty-title">{props.title}</p>
      <div className="empty-body">{props.children}</div>
    </div>
  );
}
