// Lint Cypher statements with Neo4j 5's semantic analysis (@neo4j-cypher/language-support).
// stdin: JSON {labels, relationshipTypes, statements: [{name, text, params}]}
// stdout: JSON {name: [{severity, message}]}
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const out = {};
for (const stmt of input.statements) {
  const schema = {
    defaultLanguage: 'CYPHER 5',
    labels: input.labels,
    relationshipTypes: input.relationshipTypes,
    parameters: stmt.params,
  };
  const { diagnostics } = lintCypherQuery(stmt.text, schema, {});
  out[stmt.name] = diagnostics.map((d) => ({ severity: d.severity, message: d.message }));
}
process.stdout.write(JSON.stringify(out));
