import { describe, expect, it } from 'vitest';
import { LOG_LEVELS, SEVERITY_NUMBER, severityName } from '../src/index.js';

describe('one table of levels and severity numbers', () => {
  it('gives each level the first number of its OpenTelemetry range, least severe first', () => {
    expect(LOG_LEVELS).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
    expect(LOG_LEVELS.map((l) => SEVERITY_NUMBER[l])).toEqual([1, 5, 9, 13, 17, 21]);
  });

  it('names every severity number by its range of four, and clamps the rest', () => {
    const names = Array.from({ length: 26 }, (_, n) => severityName(n));
    expect(names).toEqual([
      'TRACE',
      ...Array(4).fill('TRACE'),
      ...Array(4).fill('DEBUG'),
      ...Array(4).fill('INFO'),
      ...Array(4).fill('WARN'),
      ...Array(4).fill('ERROR'),
      ...Array(4).fill('FATAL'),
      'FATAL',
    ]);
  });
});
