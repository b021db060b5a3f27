// Runs SQL blocks with DuckDB (the engine in the @duckdb/node-api npm package)
// for the recipes test. Reads {"blocks": ["SQL", ...]} on stdin, runs the
// blocks in order in one in-memory session, as an analyst pasting them into
// one DuckDB shell would, and writes one JSON document to stdout: DuckDB's
// version and, per block, the columns (name, type) and rows of its last
// statement's result, or the error that stopped it.
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const input = JSON.parse(readFileSync(0, 'utf8'));
const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const version = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];
const results = [];
for (const sql of input.blocks) {
  const started = performance.now();
  try {
    const reader = await con.runAndReadAll(sql);
    const types = reader.columnTypes();
    results.push({
      columns: reader.columnNames().map((name, i) => ({ name, type: types[i].toString() })),
      rows: reader.getRowsJson(),
      ms: Math.round(performance.now() - started),
    });
  } catch (e) {
    results.push({ error: String(e && e.message ? e.message : e), ms: Math.round(performance.now() - started) });
  }
}
process.stdout.write(JSON.stringify({ version, results }));
