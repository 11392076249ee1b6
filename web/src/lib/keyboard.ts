/**
 * Player shortcuts: Space play/pause, Shift+→ next, Shift+← previous, L like. Plain arrows are left
 * to the page (scrolling, the seek slider, Wrapped's slides), and nothing fires while typing.
 */
export type Shortcut = 'toggle' | 'next' | 'previous' | 'like';

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

/** Inputs that take no typed text: a key pressed on them is not typing. */
const NON_TEXT_INPUTS = new Set(['range', 'checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file', 'image']);
/** Controls that own Space themselves: pressing Space on a focused button must click it only. */
const ACTIVATING_TAGS = new Set(['BUTTON', 'A', 'SUMMARY']);
const ACTIVATING_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file', 'image']);

function elementOf(target: EventTarget | null): HTMLElement | null {
  return target && typeof (target as Element).tagName === 'string' ? (target as HTMLElement) : null;
}

function inputType(element: HTMLElement): string | null {
  return element.tagName === 'INPUT' ? ((element as HTMLInputElement).type || 'text').toLowerCase() : null;
}

export function isTyping(target: EventTarget | null): boolean {
  const element = elementOf(target);
  if (!element) return false;
  if (element.tagName === 'TEXTAREA' || element.tagName === 'SELECT') return true;
  if (element.isContentEditable === true || element.closest?.('[contenteditable]:not([contenteditable="false"])')) return true;
  const type = inputType(element);
  return type !== null && !NON_TEXT_INPUTS.has(type);
}

export function shortcutFor(event: KeyLike): Shortcut | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  if (isTyping(event.target)) return null;
  const element = elementOf(event.target);
  const type = element ? inputType(element) : null;
  if (event.key === ' ' || event.key === 'Spacebar') {
    const activates = element !== null && (ACTIVATING_TAGS.has(element.tagName) || (type !== null && ACTIVATING_INPUTS.has(type)));
    return activates || event.shiftKey ? null : 'toggle';
  }
  if (event.shiftKey && type === 'range') return null; // the slider moves with (Shift+) arrows itself
  if (event.shiftKey && event.key === 'ArrowRight') return 'next';
  if (event.shiftKey && event.key === 'ArrowLeft') return 'previous';
  if (!event.shiftKey && (event.key === 'l' || event.key === 'L')) return 'like';
  return null;
}
