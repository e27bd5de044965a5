import { describe, expect, it } from 'vitest';
import { madeOfNote } from '../../../main/services/validator/window-report';

describe('madeOfNote', () => {
  it('names a copy by its sources and a tie by the uploads it could not be ordered against; an own update gets nothing', () => {
    expect(madeOfNote({ copiedFrom: [4], explained: 0.981 })).toBe(' x0.98<-4');
    expect(madeOfNote({ copiedFrom: [1, 2], explained: 0.7 })).toBe(' x0.70<-1+2');
    expect(madeOfNote({ tiedWith: [4], explained: 0.05 })).toBe(' x0.05~4');
    // A copy found by the tie-breaker names its source, even where a tie was also seen.
    expect(madeOfNote({ copiedFrom: [3], tiedWith: [3], explained: 0.99 })).toBe(' x0.99<-3');
    expect(madeOfNote({ explained: 0.1 })).toBe('');
  });
});
