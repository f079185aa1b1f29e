// Lint Cypher statements with Neo4j's own semantic analysis (@neo4j-cypher/language-support),
// once per Cypher version the server may run them under (5 today, 25 next).
// stdin: JSON {labels, relationshipTypes, versions, statements: [{name, text, params}]}
// stdout: JSON {name: {version: [{severity, message}]}}
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const versions = input.versions ?? ['CYPHER 5'];
const out = {};
for (const stmt of input.statements) {
  out[stmt.name] = {};
  for (const version of versions) {
    const schema = {
      defaultLanguage: version,
      labels: input.labels,
      relationshipTypes: input.relationshipTypes,
      parameters: stmt.params,
    };
    const { diagnostics } = lintCypherQuery(stmt.text, schema, {});
    out[stmt.name][version] = diagnostics.map((d) => ({ severity: d.severity, message: d.message }));
  }
}
process.stdout.write(JSON.stringify(out));
