// Validates an OpenAPI document (file path) with @apidevtools/swagger-parser; prints one JSON line {ok, error?}.
import SwaggerParser from '@apidevtools/swagger-parser';

const [file] = process.argv.slice(2);
try {
  const api = await SwaggerParser.validate(file);
  console.log(JSON.stringify({ ok: true, openapi: api.openapi, paths: Object.keys(api.paths).length }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: String(err && err.message || err) }));
}
