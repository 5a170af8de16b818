// Validates rendered Kubernetes manifests offline, the way an API server would before storing them:
//   built-in kinds against the Kubernetes OpenAPI schema (npm kubernetes-models),
//   custom resources against the openAPIV3Schema of their CustomResourceDefinition.
//
// usage: node validate.mjs <crd-directory> <manifests.yaml>
// Prints one JSON object: {"objects": [{"apiVersion", "kind", "name", "errors": ["<path>: <message>", ...]}, ...]}
// and exits 0 when every object is valid, 1 when one is not, 2 on a usage or read error.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import Ajv from "ajv";
import { ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";

const [crdDirectory, manifestsFile] = process.argv.slice(2);
if (!crdDirectory || !manifestsFile) {
  console.error("usage: node validate.mjs <crd-directory> <manifests.yaml>");
  process.exit(2);
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const customResources = loadCustomResourceDefinitions(crdDirectory);

const objects = [];
for (const document of parseAllDocuments(readFileSync(manifestsFile, "utf8"))) {
  if (document.errors.length > 0) {
    objects.push({ apiVersion: null, kind: null, name: null, errors: document.errors.map((e) => `YAML: ${e.message}`) });
    continue;
  }
  const object = document.toJS();
  if (object == null) {
    continue;
  }
  objects.push({
    apiVersion: object.apiVersion ?? null,
    kind: object.kind ?? null,
    name: object.metadata?.name ?? null,
    errors: await validate(object),
  });
}
console.log(JSON.stringify({ objects }));
process.exit(objects.every((o) => o.errors.length === 0) ? 0 : 1);

async function validate(object) {
  if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    return ["apiVersion and kind are required"];
  }
  const custom = customResources.get(`${object.apiVersion}/${object.kind}`);
  if (custom) {
    const errors = ajvErrors(custom, object);
    // A CRD's schema leaves metadata open; the API server checks it as the ObjectMeta it is.
    errors.push(...modelErrors(() => new ObjectMeta(object.metadata ?? {}).validate(), "/metadata"));
    return errors;
  }
  const model = await builtInModel(object.apiVersion, object.kind);
  if (!model) {
    return [`no schema for ${object.apiVersion} ${object.kind}: neither a built-in kind nor a known CRD`];
  }
  return modelErrors(() => new model(object).validate(), "");
}

/** kubernetes-models' class for a built-in apiVersion/kind, e.g. apps/v1 StatefulSet; null when there is none. */
async function builtInModel(apiVersion, kind) {
  // The core group is "v1" (kubernetes-models/v1/Service); the others are "<group>/<version>".
  if (!/^(v1|[a-z0-9.\-]+\/v[a-z0-9]+)$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) {
    return null;
  }
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind] ?? null;
  } catch (e) {
    if (e.code === "ERR_MODULE_NOT_FOUND" || e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") {
      return null;
    }
    throw e;
  }
}

function modelErrors(validateCall, prefix) {
  try {
    validateCall();
    return [];
  } catch (e) {
    if (Array.isArray(e.errors)) {
      return e.errors.map((error) => `${prefix}${error.instancePath || "/"}: ${error.message}`);
    }
    return [`${prefix || "/"}: ${e.message}`];
  }
}

function ajvErrors(validateFunction, object) {
  return validateFunction(object)
    ? []
    : validateFunction.errors.map((error) => {
        const extra = error.keyword === "additionalProperties" ? ` (${error.params.additionalProperty})` : "";
        return `${error.instancePath || "/"}: ${error.message}${extra}`;
      });
}

/** apiVersion/kind → compiled schema, for every served version of every CRD file under the directory. */
function loadCustomResourceDefinitions(directory) {
  const byKind = new Map();
  for (const file of yamlFiles(directory)) {
    for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
      const crd = document.toJS();
      if (crd?.kind !== "CustomResourceDefinition") {
        continue;
      }
      for (const version of crd.spec.versions) {
        if (!version.served) {
          continue;
        }
        const schema = version.schema?.openAPIV3Schema;
        if (!schema) {
          throw new Error(`${file}: version ${version.name} has no openAPIV3Schema`);
        }
        byKind.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(structural(schema)));
      }
    }
  }
  if (byKind.size === 0) {
    throw new Error(`no CustomResourceDefinition under ${directory}`);
  }
  return byKind;
}

function yamlFiles(directory) {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) {
      return yamlFiles(path);
    }
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/**
 * A CRD's structural schema as JSON Schema for Ajv. Unknown fields are errors (objects with properties and neither
 * x-kubernetes-preserve-unknown-fields nor additionalProperties get additionalProperties: false), as with kubectl's
 * default strict field validation, where the API server would otherwise drop them silently. Kubernetes' formats
 * (int32, …) are not checked, nor x-kubernetes-validations (CEL rules).
 */
function structural(schema) {
  if (Array.isArray(schema)) {
    return schema.map(structural);
  }
  if (schema === null || typeof schema !== "object") {
    return schema;
  }
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "description" || key === "format" || key.startsWith("x-kubernetes-")) {
      continue;
    }
    if (key === "properties") {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, structural(s)]));
    } else {
      out[key] = structural(value);
    }
  }
  if (schema["x-kubernetes-int-or-string"]) {
    delete out.type;
    if (!out.anyOf) {
      out.type = ["integer", "string"];
    }
  }
  if (schema.properties && !schema["x-kubernetes-preserve-unknown-fields"] && !("additionalProperties" in schema)) {
    out.additionalProperties = false;
  }
  return out;
}
