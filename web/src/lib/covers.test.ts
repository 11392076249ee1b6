import { describe, expect, it } from 'vitest';
import { coverStyle, hashString, initials, mosaicIds } from './covers';

describe('covers', () => {
  it('are deterministic per id and differ between ids', () => {
    expect(coverStyle('sim:al1')).toEqual(coverStyle('sim:al1'));
    expect(coverStyle('sim:al1').background).not.toBe(coverStyle('sim:al2').background);
    expect(hashString('abc')).toBe(hashString('abc'));
    expect(coverStyle('x').background).toMatch(/^linear-gradient\(\d+deg, hsl\(\d+ 65% 38%\), hsl\(\d+ 70% 22%\)\)$/);
  });

  it('take initials from names, skipping bare numbers', () => {
    expect(initials('Daily Mix 3')).toBe('DM');
    expect(initials('abba')).toBe('A');
    expect(initials('  ')).toBe('♪');
    expect(initials(null)).toBe('♪');
    expect(initials('Émilie Simon – live')).toBe('ÉS');
  });

  it('mosaics use four distinct ids, repeating short lists', () => {
    expect(mosaicIds(['a', 'b', 'a', 'c', 'd', 'e'])).toEqual(['a', 'b', 'c', 'd']);
    expect(mosaicIds(['a', 'b'])).toEqual(['a', 'b', 'a', 'b']);
    expect(mosaicIds([])).toEqual([]);
  });
});
