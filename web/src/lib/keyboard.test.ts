import { describe, expect, it } from 'vitest';
import { shortcutFor, type KeyLike } from './keyboard';

function key(k: string, more: Partial<KeyLike> = {}): KeyLike {
  return { key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, target: document.body, ...more };
}

describe('keyboard shortcuts', () => {
  it('maps the player keys', () => {
    expect(shortcutFor(key(' '))).toBe('toggle');
    expect(shortcutFor(key('ArrowRight', { shiftKey: true }))).toBe('next');
    expect(shortcutFor(key('ArrowLeft', { shiftKey: true }))).toBe('previous');
    expect(shortcutFor(key('l'))).toBe('like');
    expect(shortcutFor(key('L'))).toBe('like');
  });

  it('leaves plain arrows and modified keys to the page', () => {
    expect(shortcutFor(key('ArrowRight'))).toBeNull();
    expect(shortcutFor(key('l', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key(' ', { metaKey: true }))).toBeNull();
    expect(shortcutFor(key('x'))).toBeNull();
  });

  it('does nothing while typing', () => {
    const input = document.createElement('input');
    const area = document.createElement('textarea');
    expect(shortcutFor(key('l', { target: input }))).toBeNull();
    expect(shortcutFor(key(' ', { target: area }))).toBeNull();
    expect(shortcutFor(key('ArrowRight', { shiftKey: true, target: input }))).toBeNull();
  });

  it('lets a focused button handle Space itself', () => {
    const button = document.createElement('button');
    expect(shortcutFor(key(' ', { target: button }))).toBeNull();
    expect(shortcutFor(key('l', { target: button }))).toBe('like');
  });

  it('treats the seek slider as a control, not a text field', () => {
    const slider = document.createElement('input');
    slider.type = 'range';
    expect(shortcutFor(key(' ', { target: slider }))).toBe('toggle');
    expect(shortcutFor(key('l', { target: slider }))).toBe('like');
    expect(shortcutFor(key('ArrowRight', { shiftKey: true, target: slider }))).toBeNull();
    const box = document.createElement('input');
    box.type = 'checkbox';
    expect(shortcutFor(key(' ', { target: box }))).toBeNull();
    const editable = document.createElement('div');
    editable.setAttribute('contenteditable', 'true');
    document.body.appendChild(editable);
    expect(shortcutFor(key('l', { target: editable }))).toBeNull();
    editable.remove();
  });
});
