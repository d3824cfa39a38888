import { describe, expect, it } from 'vitest';

import { REPORT_LANGUAGES } from '../domain/register.js';
import { esc } from './reportHtml.js';
import { negotiateReportLanguage, REPORT_WORDS, reportLanguageOf } from './reportLanguages.js';
import { SUBJECT_RIGHTS } from './reports.js';

describe('report languages', () => {
  it('reads a language tag in any case and region, Norwegian Nynorsk and plain "no" as Bokmål', () => {
    expect(['en-GB', 'EN', 'nb-NO', 'no', 'nn', 'da-DK', 'de', '', 'x-en'].map(reportLanguageOf)).toEqual([
      'en',
      'en',
      'nb',
      'nb',
      'nb',
      'da',
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('takes the Accept-Language preference by weight, then order, skipping q=0 and languages it lacks', () => {
    expect(negotiateReportLanguage('da;q=0.5, nb;q=0.9, en;q=0.1')).toBe('nb');
    expect(negotiateReportLanguage('de-DE, da, nb')).toBe('da');
    expect(negotiateReportLanguage('nb;q=0, da;q=0.2')).toBe('da');
    expect(negotiateReportLanguage('fr, de')).toBe('en');
    expect(negotiateReportLanguage(undefined)).toBe('en');
    expect(negotiateReportLanguage('*')).toBe('en');
  });

  it('has, in every language, words for every right the report lists', () => {
    for (const language of REPORT_LANGUAGES) {
      const words = REPORT_WORDS[language].rightWords;
      expect(Object.keys(words).sort(), language).toEqual(SUBJECT_RIGHTS.map((r) => r.dpv).sort());
      for (const r of Object.values(words)) expect(r.name.length * r.how.length).toBeGreaterThan(0);
    }
  });

  it('escapes the five characters that could end a text or an attribute', () => {
    expect(esc(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(esc(42)).toBe('42');
  });
});
