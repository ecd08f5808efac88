// Validates Kubernetes objects (a multi-document YAML stream on stdin, e.g. `kubectl kustomize DIR | node validate.mjs`)
// against the Kubernetes OpenAPI schemas shipped in the npm package kubernetes-models: offline, no cluster needed.
//
//   --json   print the parsed objects as one JSON array on stdout (the C# deploy tests read it); the report goes to stderr.
//
// Exit codes: 0 every object valid; 1 an object is invalid or of an unknown apiVersion/kind; 2 the input is not YAML.
import { parseAllDocuments } from "yaml";

const emitJson = process.argv.includes("--json");
const report = emitJson ? console.error : console.log;

const input = await readStdin();
const documents = parseAllDocuments(input);
const objects = [];
for (const doc of documents) {
  if (doc.errors.length > 0) {
    console.error(`not valid YAML: ${doc.errors.map(e => e.message).join("; ")}`);
    process.exit(2);
  }
  const value = doc.toJS();
  if (value !== null && value !== undefined) objects.push(value);
}

let failures = 0;
for (const object of objects) {
  const label = `${object?.kind ?? "?"}/${object?.metadata?.name ?? "?"}`;
  const problem = await validate(object);
  if (problem) {
    failures++;
    console.error(`INVALID ${label}: ${problem}`);
  } else {
    report(`ok ${label} (${object.apiVersion})`);
  }
}

report(`${objects.length - failures} valid, ${failures} invalid`);
if (emitJson) process.stdout.write(JSON.stringify(objects));
process.exit(failures === 0 && objects.length > 0 ? 0 : 1);

/** Returns why the object is invalid, or null when it validates. */
async function validate(object) {
  if (typeof object !== "object" || Array.isArray(object)) return "not a mapping";
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return "apiVersion and kind are required";
  if (typeof object.metadata?.name !== "string" || object.metadata.name.length === 0) return "metadata.name is required";

  // Core objects live at kubernetes-models/v1, the others at kubernetes-models/<group>/<version>.
  let module;
  try {
    module = await import(`kubernetes-models/${apiVersion}`);
  } catch {
    return `unknown apiVersion ${apiVersion}`;
  }
  const Model = module[kind];
  if (typeof Model !== "function" || Model.kind !== kind) return `unknown kind ${kind} in ${apiVersion}`;
  try {
    new Model(object).validate();
    return null;
  } catch (error) {
    return error?.message ?? String(error);
  }
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
