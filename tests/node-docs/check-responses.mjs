// Checks real responses against the schemas of an OpenAPI 3.1 document with ajv (JSON Schema 2020-12).
// Usage: node check-responses.mjs <openapi.json> <samples.json>; samples = [{method, path, status, contentType, body}],
// path being the document's path template. Prints one JSON line: [{ok, errors?}] in sample order.
import fs from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';

const [docFile, samplesFile] = process.argv.slice(2);
const api = await SwaggerParser.dereference(JSON.parse(fs.readFileSync(docFile, 'utf8')));
const samples = JSON.parse(fs.readFileSync(samplesFile, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

const results = samples.map((s) => {
  const operation = api.paths[s.path]?.[s.method.toLowerCase()];
  if (!operation) return { ok: false, errors: [`no operation ${s.method} ${s.path} in the document`] };
  const response = operation.responses[String(s.status)];
  if (!response) return { ok: false, errors: [`status ${s.status} is not documented for ${s.method} ${s.path}`] };
  const media = (s.contentType || '').split(';')[0].trim();
  const content = response.content?.[media];
  if (!content) return { ok: false, errors: [`content type ${media} is not documented for ${s.status} of ${s.method} ${s.path}`] };
  let body;
  try { body = JSON.parse(s.body); } catch { return { ok: false, errors: ['the body is not JSON'] }; }
  const validate = ajv.compile(content.schema);
  return validate(body) ? { ok: true } : { ok: false, errors: validate.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`) };
});
console.log(JSON.stringify(results));
