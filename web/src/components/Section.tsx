import type { ReactNode } from 'react';
import type { Resource } from '../lib/useResource';
import styles from './Section.module.css';

interface Props<T> {
  id: string;
  title: string;
  testId?: string;
  resource: Resource<T>;
  empty: string;
  children: (data: T) => ReactNode;
  /** Extra check: data that is there but holds nothing also gets the empty state. */
  isEmpty?: (data: T) => boolean;
}

/** A page section that loads, and shows a friendly empty state when there is nothing yet. */
export function Section<T>({ id, title, testId, resource, empty, children, isEmpty }: Props<T>) {
  const headingId = `${id}-heading`;
  let body: ReactNode;
  if (resource.state === 'loading') {
    body = (
      <p className={styles.note} role="status">
        Loading…
      </p>
    );
  } else if (resource.state === 'ok' && !isEmpty?.(resource.data)) {
    body = children(resource.data);
  } else {
    const detail = resource.state === 'ok' ? null : resource.message;
    body = <EmptyState title={empty} detail={detail} error={resource.state === 'error'} />;
  }
  return (
    <section className={styles.section} aria-labelledby={headingId} data-testid={testId}>
      <h2 id={headingId} className={styles.heading}>
        {title}
      </h2>
      {body}
    </section>
  );
}

export function EmptyState({ title, detail, error = false }: { title: string; detail?: string | null; error?: boolean }) {
  return (
    <div className={styles.empty} data-testid="empty-state" role={error ? 'alert' : undefined}>
      <p className={styles.emptyTitle}>{title}</p>
      {detail ? <p className={styles.note}>{detail}</p> : null}
    </div>
  );
}
