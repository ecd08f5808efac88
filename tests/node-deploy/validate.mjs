// Validates Kubernetes objects (a multi-document YAML stream on stdin, e.g. `kubectl kustomize DIR | node validate.mjs`)
// against the Kubernetes OpenAPI schemas shipped in the npm package kubernetes-models: offline, no cluster needed.
//
//   --json   print the parsed objects as one JSON array on stdout (the C# deploy tests read it); the report goes to stderr.
//
// Strict: a field the schema does not define (a misspelling such as `terminationGracePeriodSecond`) is an error, as
// `kubectl apply --validate=strict` makes it. The schemas ship precompiled (ajv standalone code), so unknown fields are
// found by watching the validator: it reads every field its schema defines and enumerates the keys of a map
// (additionalProperties); a key of an object it neither read nor enumerated is one the schema does not know.
//
// Exit codes: 0 every object valid; 1 an object is invalid or of an unknown apiVersion/kind; 2 the input is not YAML.
import { parseAllDocuments } from "yaml";

/** Wraps an object graph in proxies that record which keys the validator reads and which objects it enumerates. */
class AccessTracker {
  #seen = new Map(); // target -> { path, read: Set, enumerated }

  wrap(value, path) {
    if (value === null || typeof value !== "object") return value;
    const entry = { path, read: new Set(), enumerated: false };
    this.#seen.set(value, entry);
    const tracker = this;
    const children = new Map();
    return new Proxy(value, {
      get(target, key, receiver) {
        const child = Reflect.get(target, key, receiver);
        if (typeof key !== "string" || !Object.hasOwn(target, key)) return child;
        entry.read.add(key);
        if (child === null || typeof child !== "object") return child;
        if (!children.has(key)) children.set(key, tracker.wrap(child, `${path}/${key}`));
        return children.get(key);
      },
      has(target, key) {
        if (typeof key === "string") entry.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        entry.enumerated = true;
        return Reflect.ownKeys(target);
      },
      getOwnPropertyDescriptor(target, key) {
        if (typeof key === "string") entry.read.add(key);
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
    });
  }

  unknownFields() {
    const unknown = [];
    for (const [target, { path, read, enumerated }] of this.#seen) {
      if (Array.isArray(target) || enumerated) continue;
      for (const key of Object.keys(target)) if (!read.has(key)) unknown.push(`${path}/${key}`);
    }
    return unknown;
  }
}

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
  const model = new Model(object); // a deep copy of plain objects and arrays
  const tracker = new AccessTracker();
  try {
    model.validate.call(tracker.wrap(model, ""));
  } catch (error) {
    return error?.message ?? String(error);
  }
  const unknown = tracker.unknownFields();
  return unknown.length === 0 ? null : `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
