import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startThreadline, type ThreadlineOptions } from '../../src/index.js';
import { resolveConfig } from '../../src/internal/config.js';
import {
  BOOLEAN_ROWS,
  CHOICE_ROWS,
  optionsTableMarkdown,
  WHOLE_ROWS,
} from '../../src/internal/option-table.js';

const README = new URL('../../README.md', import.meta.url);
const START =
  '<!-- options-table: written from src/internal/option-table.ts by `pnpm docs:options` -->';
const END = '<!-- /options-table -->';

describe('the options table', () => {
  it('is the README’s table of options (`pnpm docs:options` rewrites it)', () => {
    const text = readFileSync(README, 'utf8');
    const from = text.indexOf(START);
    const to = text.indexOf(END);
    expect(from, `README.md has no ${START} mark`).toBeGreaterThan(-1);
    expect(to).toBeGreaterThan(from);
    const written = `${START}\n\n${optionsTableMarkdown()}\n${END}`;
    if (process.env.THREADLINE_WRITE_DOCS === '1') {
      writeFileSync(README, text.slice(0, from) + written + text.slice(to + END.length));
      return;
    }
    expect(text.slice(from, to + END.length)).toBe(written);
  });

  const wholeOptions = WHOLE_ROWS.filter((row) => row.option !== undefined);
  describe.each(WHOLE_ROWS.map((row) => [row.field, row] as const))('%s', (field, row) => {
    const bigger = row.default + 7;
    it(`defaults to ${row.default}`, () => {
      expect(resolveConfig({ env: {} })[field as never]).toBe(row.default);
    });
    it.each(row.env.map((name, i) => [name, i]))(
      'reads %s, the first set of its variables winning',
      (_name, i) => {
        const env = Object.fromEntries(row.env.slice(i).map((n, j) => [n, String(bigger + j)]));
        expect(resolveConfig({ env })[field as never]).toBe(bigger);
      },
    );
    it.each(row.env.map((name) => [name]))('ignores a bad %s with a warning', (name) => {
      const bad = row.min === 0 ? '-1' : '0';
      const c = resolveConfig({ env: { [name]: bad } });
      expect(c[field as never]).toBe(row.default);
      expect(c.warnings).toEqual([
        `${name}="${bad}" is not a whole number ${row.min === 0 ? '>= 0' : '> 0'}; using ${row.default}`,
      ]);
    });
  });

  describe.each(wholeOptions.map((row) => [row.option, row] as const))(
    'option %s',
    (option, row) => {
      const field = row.field as never;
      it('is set by the option, which wins over the environment', () => {
        const env = Object.fromEntries(row.env.map((name) => [name, String(row.default + 3)]));
        const c = resolveConfig({ [option as string]: row.default + 7, env } as ThreadlineOptions);
        expect(c[field]).toBe(row.default + 7);
      });
      it(`accepts ${row.min} and fails fast below it, or on anything but a whole number`, () => {
        expect(
          resolveConfig({ [option as string]: row.min, env: {} } as ThreadlineOptions)[field],
        ).toBe(row.min);
        for (const value of [row.min - 1, 1.5, '10', null]) {
          expect(() =>
            startThreadline({ [option as string]: value, env: {} } as ThreadlineOptions),
          ).toThrow(`option "${option}" must be a whole number ${row.min === 0 ? '>= 0' : '> 0'}`);
        }
      });
    },
  );

  describe.each(BOOLEAN_ROWS.map((row) => [row.option, row] as const))('%s', (option, row) => {
    it(`defaults to ${row.default} and takes the other value`, () => {
      expect(resolveConfig({ env: {} })[option as never]).toBe(row.default);
      expect(resolveConfig({ [option]: !row.default, env: {} })[option as never]).toBe(
        !row.default,
      );
    });
    it('fails fast on anything but true or false', () => {
      expect(() => startThreadline({ [option]: 'yes', env: {} } as ThreadlineOptions)).toThrow(
        `option "${option}" must be true or false; got "yes"`,
      );
    });
  });

  describe.each(CHOICE_ROWS.map((row) => [row.option, row] as const))('%s', (option, row) => {
    const other = row.accepted.find((a) => a !== row.default) as string;
    it(`defaults to ${row.default}, and reads its option and variables`, () => {
      const c = (options: ThreadlineOptions) => resolveConfig(options)[option as never];
      expect(c({ env: {} })).toBe(row.default);
      expect(c({ [option]: other, env: {} })).toBe(other);
      for (const name of row.env) expect(c({ env: { [name]: other.toUpperCase() } })).toBe(other);
    });
    it('fails fast on another value, naming the ones accepted', () => {
      expect(() =>
        startThreadline({ [option]: 'carrier-pigeon', env: {} } as ThreadlineOptions),
      ).toThrow(
        `option "${option}" must be one of ${row.accepted.map((a) => `"${a}"`).join(', ')}; got "carrier-pigeon"`,
      );
    });
    it.each(row.env.map((name) => [name]))('ignores another value in %s with a warning', (name) => {
      const c = resolveConfig({ env: { [name]: 'carrier-pigeon' } });
      expect(c[option as never]).toBe(row.default);
      expect(c.warnings).toEqual([
        `${name}="carrier-pigeon" is not supported (accepted: ${row.accepted.join(', ')}); using ${row.default}`,
      ]);
    });
  });
});
