/**
 * Wrapped: the story (one Lottie document, slides = its markers) played full-screen with lottie-web,
 * which is imported here only, so the rest of the app never downloads it. Plus the shareable cards.
 */
import { useCallback, useEffect, useRef, useState, type MouseEvent } from 'react';
import { Link, Navigate, useParams } from 'react-router-dom';
import type { AnimationItem } from 'lottie-web/build/player/lottie_light';
import { ApiError, seg } from '../api/client';
import { useAuth } from '../auth';
import { EmptyState } from '../components/Section';
import { counter, slidesOf, slideTitle, step, tapDelta, type StorySlide } from '../lib/story';
import { describeFailure, useResource } from '../lib/useResource';
import styles from './WrappedPage.module.css';

export const CARDS = ['minutes', 'top-artists', 'top-tracks', 'top-genre', 'personality'] as const;

/** /wrapped: this year's Wrapped, or last year's when this year's is not made yet. */
export function WrappedIndex() {
  const { api, userId } = useAuth();
  const user = seg(userId ?? '');
  const year = new Date().getFullYear();
  const found = useResource(
    async (signal) => {
      for (const candidate of [year, year - 1]) {
        try {
          await api.raw(`/v1/users/${user}/wrapped/${candidate}`, { signal });
          return candidate;
        } catch (error) {
          if (!(error instanceof ApiError) || error.status !== 404) throw error;
        }
      }
      throw new ApiError(404, `no Wrapped for ${year} or ${year - 1} yet`);
    },
    [api, user, year],
  );
  if (found.state === 'ok') return <Navigate to={`/wrapped/${found.data}`} replace />;
  return (
    <>
      <h1>Wrapped</h1>
      {found.state === 'loading' ? (
        <p role="status">Looking for your Wrapped…</p>
      ) : (
        <EmptyState
          title="Your Wrapped is not ready yet."
          detail={`${found.message}. It is made once a year from your listening (\`tastemaker wrapped ${year}\`).`}
          error={found.state === 'error'}
        />
      )}
    </>
  );
}

export default function WrappedPage() {
  const { year = '' } = useParams();
  const { api, userId } = useAuth();
  const user = seg(userId ?? '');
  const [open, setOpen] = useState(true);
  const valid = /^\d{4}$/.test(year);
  const story = useResource(
    valid ? (signal) => api.json<unknown>(`/v1/users/${user}/wrapped/${year}/story.json`, { signal }) : null,
    [api, user, year],
  );

  if (!valid) return <EmptyState title={`“${year}” is not a year.`} />;
  const ready = story.state === 'ok';
  return (
    <>
      <h1>Wrapped {year}</h1>
      {story.state === 'loading' ? <p role="status">Loading your story…</p> : null}
      {story.state === 'empty' || story.state === 'error' ? (
        <EmptyState title={`No Wrapped ${year} for you yet.`} detail={story.message} error={story.state === 'error'} />
      ) : null}
      {ready && open ? <StoryPlayer story={story.data} year={year} onClose={() => setOpen(false)} /> : null}
      {ready && !open ? (
        <>
          <button type="button" className={styles.replay} onClick={() => setOpen(true)}>
            Play your story
          </button>
          <Cards year={year} />
          <p>
            <Link to="/">Back home</Link>
          </p>
        </>
      ) : null}
    </>
  );
}

function StoryPlayer({ story, year, onClose }: { story: unknown; year: string; onClose: () => void }) {
  const slides: StorySlide[] = slidesOf(story);
  const [index, setIndex] = useState(0);
  const [failed, setFailed] = useState<string | null>(null);
  const stage = useRef<HTMLDivElement | null>(null);
  const animation = useRef<AnimationItem | null>(null);
  const dialog = useRef<HTMLDivElement | null>(null);
  const count = slides.length;

  const go = useCallback((delta: number) => setIndex((current) => step(current, delta, count)), [count]);

  // load lottie-web lazily (the light SVG build: no expressions, so no eval under the CSP) and build it once
  useEffect(() => {
    let cancelled = false;
    const container = stage.current;
    if (!container) return;
    import('lottie-web/build/player/lottie_light')
      .then(({ default: lottie }) => {
        if (cancelled) return;
        animation.current = lottie.loadAnimation({
          container,
          renderer: 'svg',
          loop: false,
          autoplay: false,
          // lottie-web mutates the data it is given: hand it a copy
          animationData: structuredClone(story) as object,
          rendererSettings: { preserveAspectRatio: 'xMidYMid meet', title: `Wrapped ${year}` },
        });
        const first = slides[0];
        if (first) animation.current.playSegments([first.start, first.end], true);
      })
      .catch((error: unknown) => setFailed(describeFailure(error).message));
    return () => {
      cancelled = true;
      animation.current?.destroy();
      animation.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [story]);

  // play the current slide's segment
  useEffect(() => {
    const slide = slides[index];
    if (slide && animation.current) animation.current.playSegments([slide.start, slide.end], true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [index]);

  useEffect(() => {
    dialog.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.target instanceof HTMLInputElement) return;
      if (event.key === 'ArrowRight' && !event.shiftKey) {
        event.preventDefault();
        go(1);
      } else if (event.key === 'ArrowLeft' && !event.shiftKey) {
        event.preventDefault();
        go(-1);
      } else if (event.key === 'Escape') {
        onClose();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [go, onClose]);

  function onTap(event: MouseEvent<HTMLDivElement>) {
    const box = event.currentTarget.getBoundingClientRect();
    go(tapDelta(event.clientX - box.left, box.width));
  }

  const slide = slides[index];
  return (
    <div
      ref={dialog}
      className={styles.overlay}
      role="dialog"
      aria-modal="true"
      aria-label={`Wrapped ${year}`}
      tabIndex={-1}
    >
      <div className={styles.top}>
        <span data-testid="slide-count" className={styles.count} aria-live="polite">
          {counter(index, count)}
        </span>
        <div className={styles.progress} aria-hidden="true">
          {slides.map((s, n) => (
            <span key={`${n}-${s.name}`} className={n <= index ? styles.done : undefined} />
          ))}
        </div>
        <button type="button" className={styles.close} onClick={onClose}>
          Close
        </button>
      </div>
      <div
        className={styles.slide}
        data-testid="wrapped-slide"
        data-slide-index={index}
        data-slide-name={slide?.name}
        onClick={onTap}
        aria-label={slide ? `Slide ${index + 1}: ${slideTitle(slide.name)}` : undefined}
        role="group"
        aria-roledescription="slide"
      >
        <div ref={stage} className={styles.stage} />
        {failed ? <p className={styles.failed}>The animation could not start: {failed}</p> : null}
      </div>
      <div className={styles.controls}>
        <button type="button" onClick={() => go(-1)} disabled={index === 0}>
          Previous slide
        </button>
        <button type="button" onClick={() => go(1)} disabled={index >= count - 1}>
          Next slide
        </button>
      </div>
      <Cards year={year} compact />
    </div>
  );
}

function Cards({ year, compact = false }: { year: string; compact?: boolean }) {
  const { api, userId } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function download(card: string) {
    setBusy(card);
    setError(null);
    try {
      // The card needs the Authorization header, so no plain link: fetch, then save the blob.
      const blob = await api.blob(`/v1/users/${seg(userId ?? '')}/wrapped/${year}/cards/${card}.png`);
      const url = URL.createObjectURL(blob);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = `wrapped-${year}-${card}.png`;
      document.body.appendChild(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (failure) {
      setError(describeFailure(failure).message);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className={compact ? styles.cardsCompact : styles.cards} aria-label="Shareable cards">
      {compact ? null : <h2>Share your cards</h2>}
      <ul>
        {CARDS.map((card) => (
          <li key={card}>
            <button type="button" onClick={() => void download(card)} disabled={busy === card}>
              Download {card} card
            </button>
          </li>
        ))}
      </ul>
      {error ? <p role="alert">{error}</p> : null}
    </section>
  );
}
