// Runs every scenario file in test/scenarios/ against the reference policy: who, when, what →
// the action and clauses the written policy demands. The files are written to be read by a
// safeguarding lead; this runner only turns each into a test of the same name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CatalogueBuilder, addStarter } from '../src/catalog/index.ts';
import { PolicyEngine, compileGrants, type Grant } from '../src/engine/index.ts';
import { loadPolicy, parseZonedTime } from '../src/policy/index.ts';
import { referencePolicyPath } from '../src/runtime/index.ts';

interface Scenario {
  name: string;
  who: { role: string; age?: number; groups?: string[]; id?: string; supervisedOnly?: boolean; supervised?: boolean };
  at: string;
  url: string;
  grants?: Array<Omit<Grant, 'from' | 'until' | 'id'> & { id?: string; from: string; until: string }>;
  expect: { action: string; clauses?: string[]; circumvention?: boolean; categories?: string[]; logged?: boolean; rule?: string };
  note?: string;
}

interface ScenarioFile {
  title: string;
  testCatalogue?: Record<string, string[]>;
  scenarios: Scenario[];
}

const folder = fileURLToPath(new URL('./scenarios/', import.meta.url));
const files = readdirSync(folder).filter((f) => f.endsWith('.yaml')).sort();
const parsed = files.map((file) => ({ file, data: parse(readFileSync(folder + file, 'utf8')) as ScenarioFile }));

// One catalogue for every file: the shipped starter catalogue plus the reserved test names the
// scenario files declare for categories no real site can stand for with certainty.
const builder = new CatalogueBuilder();
addStarter(builder);
for (const { data } of parsed) {
  for (const [domain, categories] of Object.entries(data.testCatalogue ?? {})) {
    builder.add(domain, categories.map((c) => `hedgerow/${c}`), 'scenario-test-catalogue');
  }
}
const { policy, problems } = loadPolicy(referencePolicyPath());
assert.deepEqual(problems, [], 'the reference policy must load without problems');
const engine = new PolicyEngine({ policy: policy!, catalogue: builder.build() });
const zone = policy!.calendar!.timeZone;

test('the scenario folder is not empty', () => {
  assert.ok(parsed.reduce((n, f) => n + f.data.scenarios.length, 0) >= 100);
});

for (const { file, data } of parsed) {
  test(`${data.title} (${file})`, async (t) => {
    for (const scenario of data.scenarios) {
      await t.test(scenario.name, () => {
        const at = parseZonedTime(scenario.at, zone);
        assert.ok(Number.isFinite(at), `scenario time \`${scenario.at}\` must parse`);
        const grants = scenario.grants?.map((g, i) => ({
          ...g,
          id: g.id ?? `g${i}`,
          from: parseZonedTime(g.from, zone),
          until: parseZonedTime(g.until, zone),
        })) as Grant[] | undefined;
        const decision = engine.decide({
          person: scenario.who,
          url: scenario.url,
          at,
          ...(grants ? { grants: compileGrants(grants) } : {}),
        });
        const context = `${scenario.who.role} ${scenario.url} at ${scenario.at}: got ${decision.action} by ${decision.rule} [${decision.clauses.join(', ')}] (${decision.categories.join(', ')}) — ${decision.reason}`;
        assert.equal(decision.action, scenario.expect.action, context);
        for (const clause of scenario.expect.clauses ?? []) assert.ok(decision.clauses.includes(String(clause)), `missing clause ${clause}: ${context}`);
        for (const category of scenario.expect.categories ?? []) assert.ok(decision.categories.includes(category), `missing category ${category}: ${context}`);
        if (scenario.expect.circumvention !== undefined) assert.equal(decision.circumvention, scenario.expect.circumvention, `circumvention: ${context}`);
        if (scenario.expect.logged !== undefined) assert.equal(decision.logged, scenario.expect.logged, `logged: ${context}`);
        if (scenario.expect.rule !== undefined) assert.equal(decision.rule, scenario.expect.rule, context);
      });
    }
  });
}
