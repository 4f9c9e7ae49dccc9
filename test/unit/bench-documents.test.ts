// The bench's real documents: corpus documents the service writes as they are, one per policy and
// variant, the same for the same variant (an unchanged upsert) and another for the next (an update).
import { benchDocument, writableCorpusDocuments } from '../../bench/documents';
import { generateStream } from '../../bench/stream';
import { documentsEqual } from '../../src/domain/document';
import { checkGuardrails, DEFAULT_GUARDRAILS } from '../../src/domain/guardrails';
import { documentSizeProblem } from '../../src/domain/document-rules';

test('the writable corpus: most of the corpus, none that a guardrail or the size limit refuses', () => {
  const documents = writableCorpusDocuments();
  expect(documents.length).toBeGreaterThan(200);
  for (const document of documents) {
    expect(checkGuardrails(document, DEFAULT_GUARDRAILS)).toEqual([]);
    expect(documentSizeProblem(document)).toBeUndefined();
  }
});

test('a variant is always the same document, the next variant another', () => {
  const first = benchDocument('corpus', 'team-a', 1);
  expect(benchDocument('corpus', 'team-a', 1)).toBe(first);
  expect(documentsEqual(benchDocument('corpus', 'team-a', 2), first)).toBe(false);
  expect(JSON.stringify(benchDocument('small', 'team-a', 1))).toContain('team-a');
});

test('a stream with corpus documents: the same events, real documents in its upserts', () => {
  const spec = {
    events: 200,
    policies: 20,
    dupRate: 0.2,
    burstRate: 0.2,
    burstSize: 5,
    seed: 7,
    prefix: 'x',
  };
  const small = generateStream(spec);
  const corpus = generateStream({ ...spec, documents: 'corpus' });
  expect(corpus.map((event) => event.kind)).toEqual(small.map((event) => event.kind));
  const sizes = corpus.flatMap((event) => {
    const data = event.raw.data as { document?: unknown };
    return data.document ? [JSON.stringify(data.document).length] : [];
  });
  expect(sizes.length).toBeGreaterThan(100);
  // Real documents are larger than the bench's own two statements (about 400 characters).
  expect(sizes.reduce((a, b) => a + b, 0) / sizes.length).toBeGreaterThan(800);
});
