// Offline validation of infra/k8s, docker-compose.yml and tye.yaml (run by `platform.sh test`):
//   node infra/k8s/validate/validate.mjs <tool dir> [repo root] [--render <kustomization dir>]
// The tool dir (infra/local/lib/manifests.sh installs it) holds node_modules/ (infra/k8s/validate/package.json) and
// models/ (the Kubernetes client's generated model classes: every API type's field names and types).
// 1. renders each kustomization (base, overlays/*) as `kubectl kustomize` would for the features used here:
//    resources, namespace, strategic-merge patches with a kind + label target (--render prints one as JSON);
// 2. validates every object against the Kubernetes API schema (kubernetes-models' compiled validators: types,
//    required fields, formats such as quantities), and rejects fields the API does not have (a misspelt field is
//    otherwise silently dropped by the API server: the schema allows unknown properties);
// 3. checks the platform's own rules, which a schema cannot see (see docs/deployment.md).
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const args = process.argv.slice(2);
const renderOnly = args.includes("--render") ? args.splice(args.indexOf("--render"), 2)[1] : null;
const tool = args[0];
const modules = tool && join(tool, "node_modules");
const models = tool && join(tool, "models");
const root = resolve(args[1] ?? join(dirname(new URL(import.meta.url).pathname), "../../.."));
if (!tool || !existsSync(join(modules, "kubernetes-models")) || !existsSync(models)) {
  console.error("usage: validate.mjs <tool dir with node_modules/ and models/> [repo root] [--render <dir>]");
  process.exit(2);
}
const YAML = createRequire(join(modules, "noop.js"))("yaml");
const errors = [];
const fail = (where, message) => errors.push(`${where}: ${message}`);

function readYamlDocuments(file) {
  // merge: docker-compose.yml uses YAML merge keys (<<: *anchor), which YAML 1.2 leaves off by default.
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"), { merge: true });
  const out = [];
  for (const doc of docs) {
    if (doc.errors.length) fail(file, doc.errors.map((e) => e.message).join("; "));
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

// --- rendering ---------------------------------------------------------------------------------------------------
const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass", "PriorityClass"]);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// Strategic merge for what the patches here use: maps merge, lists of named items merge by name, other lists replace.
function merge(base, patch) {
  if (isObject(base) && isObject(patch)) {
    const out = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch) && patch.every((p) => isObject(p) && "name" in p) && base.every((b) => isObject(b) && "name" in b)) {
    // New items first, as kustomize orders them.
    const added = patch.filter((p) => !base.some((b) => b.name === p.name));
    return [...added, ...base.map((b) => { const p = patch.find((x) => x.name === b.name); return p ? merge(b, p) : b; })];
  }
  return patch;
}

const matchesSelector = (labels = {}, selector) =>
  selector.split(",").every((term) => { const [k, v] = term.split("="); return labels[k.trim()] === v.trim(); });

function render(dir) {
  const file = join(dir, "kustomization.yaml");
  const [k] = readYamlDocuments(file);
  let objects = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    if (!existsSync(path)) { fail(file, `resource ${r} does not exist`); continue; }
    objects.push(...(existsSync(join(path, "kustomization.yaml")) ? render(path) : readYamlDocuments(path).map((o) => ({ ...o, __file: path }))));
  }
  for (const p of k.patches ?? []) {
    const patchFile = join(dir, p.path ?? "");
    if (!p.path || !existsSync(patchFile)) { fail(file, `patch ${p.path} does not exist`); continue; }
    const [patch] = readYamlDocuments(patchFile);
    const target = p.target ?? { kind: patch.kind, name: patch.metadata?.name };
    let hits = 0;
    objects = objects.map((o) => {
      if (target.kind && o.kind !== target.kind) return o;
      if (target.name && o.metadata?.name !== target.name) return o;
      if (target.labelSelector && !matchesSelector(o.metadata?.labels, target.labelSelector)) return o;
      hits++;
      const { metadata, ...rest } = patch;
      return { ...merge(o, rest), metadata: merge(o.metadata, { ...metadata, name: o.metadata.name }) };
    });
    if (hits === 0) fail(file, `patch ${p.path} matches no object`);
  }
  if (k.namespace)
    objects = objects.map((o) => (clusterScoped.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace: k.namespace } }));
  return objects;
}

// --- schema ------------------------------------------------------------------------------------------------------
async function validateSchema(o, where) {
  if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") return fail(where, "apiVersion and kind are required");
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : [null, o.apiVersion];
  const file = join(modules, "kubernetes-models", group ?? "", version, `${o.kind}.js`);
  if (!existsSync(file)) return fail(where, `no schema for ${o.apiVersion} ${o.kind} (unknown or removed API)`);
  const Model = (await import(pathToFileURL(file).href))[o.kind];
  const { __file, ...data } = o;
  try { new Model(data).validate(); } catch (e) { fail(where, e.message); }
  const prefix = version[0].toUpperCase() + version.slice(1);
  await checkFields(data, `${prefix}${o.kind}`, where, "");
}

// Unknown fields, walking the API's types (e.g. V1Deployment -> spec: V1DeploymentSpec -> ...).
const typeCache = new Map();
async function fieldsOf(type) {
  if (!typeCache.has(type)) {
    const file = join(models, `${type}.js`);
    typeCache.set(type, existsSync(file) ? (await import(pathToFileURL(file).href))[type]?.attributeTypeMap ?? null : null);
  }
  return typeCache.get(type);
}
async function checkFields(value, type, where, path) {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) { if (Array.isArray(value)) for (const [i, v] of value.entries()) await checkFields(v, array[1], where, `${path}[${i}]`); return; }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) { if (isObject(value)) for (const [k, v] of Object.entries(value)) await checkFields(v, map[1], where, `${path}.${k}`); return; }
  if (!/^[A-Z]/.test(type) || type === "IntOrString" || type === "Date") return;
  const fields = await fieldsOf(type);
  if (!fields) return fail(where, `no field list for type ${type}`);
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const field = fields.find((f) => f.baseName === k);
    if (!field) fail(where, `${path.slice(1) || "(root)"}: unknown field "${k}" (${type} has ${fields.map((f) => f.baseName).join(", ")})`);
    else await checkFields(v, field.type, where, `${path}.${k}`);
  }
}

// --- the platform's rules ----------------------------------------------------------------------------------------
const containersOf = (d) => d.spec?.template?.spec?.containers ?? [];
const envOf = (c) => Object.fromEntries((c.env ?? []).filter((e) => "value" in e).map((e) => [e.name, e.value]));
const hostOf = (url) => { try { return new URL(url).hostname; } catch { return null; } };

function checkPlatform(objects, name) {
  const by = (kind) => objects.filter((o) => o.kind === kind);
  const where = (o) => `${name}: ${o.kind}/${o.metadata?.name}`;
  const deployments = by("Deployment"), services = by("Service"), hpas = by("HorizontalPodAutoscaler"), pdbs = by("PodDisruptionBudget");
  const seen = new Set();
  for (const o of objects) {
    const key = `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`;
    if (seen.has(key)) fail(where(o), "defined twice");
    seen.add(key);
    if (o.kind === "Secret") fail(where(o), "secrets are referenced, never committed (create mlops-secrets per environment)");
  }
  const configMaps = new Set(by("ConfigMap").map((c) => c.metadata.name));
  for (const d of deployments) {
    const labels = d.spec.template.metadata?.labels ?? {};
    if (!Object.entries(d.spec.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v)) fail(where(d), "selector does not match the pod template's labels");
    for (const c of containersOf(d)) {
      if (c.readinessProbe?.httpGet?.path !== "/health/ready") fail(where(d), `container ${c.name}: readinessProbe must GET /health/ready`);
      if (c.livenessProbe?.httpGet?.path !== "/health/live") fail(where(d), `container ${c.name}: livenessProbe must GET /health/live`);
      for (const kind of ["requests", "limits"]) for (const r of ["cpu", "memory"])
        if (c.resources?.[kind]?.[r] === undefined) fail(where(d), `container ${c.name}: resources.${kind}.${r} is missing`);
      for (const f of c.envFrom ?? []) if (f.configMapRef && !configMaps.has(f.configMapRef.name)) fail(where(d), `ConfigMap ${f.configMapRef.name} is not defined`);
      for (const e of c.env ?? []) {
        if (e.valueFrom?.configMapKeyRef && !configMaps.has(e.valueFrom.configMapKeyRef.name)) fail(where(d), `env ${e.name}: ConfigMap ${e.valueFrom.configMapKeyRef.name} is not defined`);
        if ("value" in e && /password=|secret|apikey/i.test(`${e.name}=${e.value}`) && !/^Gateway__Variants/.test(e.name)) fail(where(d), `env ${e.name} looks like a secret given in clear text; use secretKeyRef`);
      }
      const gpus = c.resources?.limits?.["nvidia.com/gpu"];
      if (gpus !== undefined && String(c.resources?.requests?.["nvidia.com/gpu"] ?? gpus) !== String(gpus)) fail(where(d), "nvidia.com/gpu request must equal its limit");
      if (gpus !== undefined && !(d.spec.template.spec.tolerations ?? []).some((t) => t.key === "nvidia.com/gpu")) fail(where(d), "a GPU pod needs the nvidia.com/gpu toleration");
    }
    // Pods of one consumer group beyond the partition count sit idle: replicas and the HPA maximum stay within it.
    const partitions = Number(d.metadata.annotations?.["mlops.io/kafka-partitions"] ?? NaN);
    if (!Number.isNaN(partitions)) {
      if ((d.spec.replicas ?? 1) > partitions) fail(where(d), `replicas ${d.spec.replicas} exceed the ${partitions} Kafka partitions`);
      for (const h of hpas) if (h.spec.scaleTargetRef?.name === d.metadata.name && h.spec.maxReplicas > partitions)
        fail(where(h), `maxReplicas ${h.spec.maxReplicas} exceeds the ${partitions} Kafka partitions of ${d.metadata.name}`);
    }
    const budgeted = pdbs.some((p) => Object.entries(p.spec.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v));
    if (!budgeted) fail(where(d), "no PodDisruptionBudget selects its pods");
  }
  const selects = (selector, d) => Object.entries(selector).every(([k, v]) => d.spec.template.metadata?.labels?.[k] === v);
  for (const s of services) {
    if (s.spec.type === "ExternalName") continue;
    if (!deployments.some((d) => selects(s.spec.selector ?? {}, d))) fail(where(s), "selects no Deployment's pods");
    if (["LoadBalancer", "NodePort"].includes(s.spec.type) && s.metadata.name !== "gateway") fail(where(s), `type ${s.spec.type}: only the gateway is exposed`);
  }
  for (const ing of by("Ingress"))
    for (const rule of ing.spec.rules ?? []) for (const p of rule.http?.paths ?? [])
      if (p.backend?.service?.name !== "gateway") fail(where(ing), `routes to ${p.backend?.service?.name}: only the gateway is exposed`);
  for (const h of hpas) if (!deployments.some((d) => d.metadata.name === h.spec.scaleTargetRef?.name)) fail(where(h), "targets no Deployment");
  for (const p of pdbs) if (!deployments.some((d) => selects(p.spec.selector?.matchLabels ?? {}, d))) fail(where(p), "selects no Deployment's pods");
  // In-cluster addresses must name a Service that exists.
  const serviceNames = new Set(services.map((s) => s.metadata.name));
  for (const d of deployments) for (const c of containersOf(d)) for (const [k, v] of Object.entries(envOf(c))) {
    const host = /^https?:\/\//.test(v) ? hostOf(v) : null;
    if (host && !host.includes(".") && !serviceNames.has(host)) fail(where(d), `env ${k} points at ${host}, which is no Service`);
  }
  for (const d of deployments) {
    const project = projects[d.spec.template.metadata?.labels?.["app.kubernetes.io/name"]];
    if (!project) { fail(where(d), "app.kubernetes.io/name names no service of the repository"); continue; }
    checkLoopback(where(d), project, Object.assign({}, ...containersOf(d).map((c) => Object.fromEntries((c.env ?? []).map((e) => [e.name, true])))));
  }
  // Each variant's Service is named after its Deployment, so the cluster address's host names the instance.
  checkVariants(deployments.map((d) => ({ where: where(d), host: d.metadata.name, env: Object.assign({}, ...containersOf(d).map(envOf)) })), name);
  checkNetworkPolicies(objects, name);
}

// --- network policies --------------------------------------------------------------------------------------------
// Services are reachable only through the gateway (docs/security.md): ingress is denied by default, the gateway
// admits everyone, and each other service admits exactly the platform's pods that call it — read from the
// Deployments' env (every http:// address naming a Service), the same settings the services use.
const emptySelector = (sel) => isObject(sel) && !Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length;
const selectorMatches = (sel, labels = {}) => Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
// A peer matches a source pod: { labels, namespace, namespaceLabels }; policy = the policy's own namespace.
function peerMatches(peer, source, namespace) {
  if (peer.ipBlock) return false;
  if (peer.namespaceSelector) return selectorMatches(peer.namespaceSelector, source.namespaceLabels) && (!peer.podSelector || selectorMatches(peer.podSelector, source.labels));
  return source.namespace === namespace && selectorMatches(peer.podSelector, source.labels);
}
const ruleOpenToAll = (rule) => !(rule.from ?? []).length || rule.from.some((p) =>
  ["0.0.0.0/0", "::/0"].includes(p.ipBlock?.cidr) || (p.namespaceSelector && emptySelector(p.namespaceSelector) && (!p.podSelector || emptySelector(p.podSelector))));
const rulePort = (rule, port) => !(rule.ports ?? []).length || rule.ports.some((p) =>
  (p.protocol ?? "TCP") === "TCP" && (p.port === undefined || p.port === port.name || Number(p.port) === port.containerPort));
const appliesTo = (policy, pod) => policy.metadata.namespace === pod.namespace && selectorMatches(policy.spec.podSelector, pod.labels)
  && (policy.spec.policyTypes ?? ["Ingress"]).includes("Ingress");

function checkNetworkPolicies(objects, name) {
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  const deployments = objects.filter((o) => o.kind === "Deployment");
  const services = objects.filter((o) => o.kind === "Service" && o.spec.type !== "ExternalName");
  const where = (o) => `${name}: ${o.kind}/${o.metadata?.name}`;
  for (const p of policies) for (const sel of [p.spec.podSelector, ...(p.spec.ingress ?? []).flatMap((r) => (r.from ?? []).flatMap((f) => [f.podSelector, f.namespaceSelector]))])
    if ((sel?.matchExpressions ?? []).length) fail(where(p), "matchExpressions: the validator reads matchLabels only; write the selector with matchLabels");
  if (!policies.some((p) => emptySelector(p.spec.podSelector) && (p.spec.policyTypes ?? []).includes("Ingress") && !(p.spec.ingress ?? []).length))
    fail(name, "no default-deny ingress NetworkPolicy (podSelector {}, policyTypes [Ingress], no rules): every pod reaches every service");
  const namespaceLabels = (ns) => ({ ...(objects.find((o) => o.kind === "Namespace" && o.metadata.name === ns)?.metadata.labels ?? {}), "kubernetes.io/metadata.name": ns });
  const pod = (d) => ({ labels: d.spec.template.metadata?.labels ?? {}, namespace: d.metadata.namespace, namespaceLabels: namespaceLabels(d.metadata.namespace),
    ports: containersOf(d).flatMap((c) => c.ports ?? []) });
  const admitting = (target, port) => policies.filter((p) => appliesTo(p, target)).flatMap((p) => (p.spec.ingress ?? []).filter((r) => rulePort(r, port)));
  const admits = (target, source, port) => admitting(target, port).some((r) => ruleOpenToAll(r) || r.from.some((peer) => peerMatches(peer, source, target.namespace)));
  const isGateway = (d) => d.spec.template.metadata?.labels?.["app.kubernetes.io/name"] === "gateway";
  // Which Deployments a Deployment calls: its env's http(s) addresses, by the Service named and the Service's port.
  const selected = (s) => deployments.filter((d) => d.metadata.namespace === s.metadata.namespace && Object.entries(s.spec.selector ?? {}).every(([k, v]) => d.spec.template.metadata?.labels?.[k] === v));
  const targetPort = (s, d, servicePort) => { const t = servicePort.targetPort ?? servicePort.port; return pod(d).ports.find((p) => p.name === t || p.containerPort === Number(t)); };
  const calls = [];
  for (const d of deployments) for (const c of containersOf(d)) for (const [k, v] of Object.entries(envOf(c))) {
    if (!/^https?:\/\//.test(v)) continue;
    const url = new URL(v);
    const s = services.find((x) => x.metadata.name === url.hostname && x.metadata.namespace === d.metadata.namespace);
    const sp = s?.spec.ports?.find((p) => p.port === Number(url.port || (url.protocol === "https:" ? 443 : 80)));
    if (!s || !sp) continue;
    for (const t of selected(s)) calls.push({ from: d, to: t, port: targetPort(s, t, sp), setting: k });
  }
  for (const call of calls) {
    if (!call.port) { fail(where(call.from), `env ${call.setting}: the Service's port leads to no container port of ${call.to.metadata.name}`); continue; }
    if (!admits(pod(call.to), pod(call.from), call.port))
      fail(where(call.to), `no NetworkPolicy admits ${call.from.metadata.name} on port ${call.port.name ?? call.port.containerPort}, which it calls (env ${call.setting})`);
  }
  for (const d of deployments) for (const port of pod(d).ports) {
    const rules = admitting(pod(d), port);
    if (isGateway(d)) { if (port.name === "http" && !rules.some(ruleOpenToAll)) fail(where(d), "the gateway must admit every source on its http port: it is the way in"); continue; }
    if (rules.some(ruleOpenToAll)) fail(where(d), `port ${port.name ?? port.containerPort} is open to every source: only the gateway is (docs/security.md)`);
    // Least privilege: a platform pod admitted must call this one (the gateway and callers found above).
    for (const other of deployments) if (other !== d && !isGateway(other) && admits(pod(d), pod(other), port) && !calls.some((c) => c.from === other && c.to === d))
      fail(where(d), `admits ${other.metadata.name} on port ${port.name ?? port.containerPort}, which never calls it`);
  }
  for (const s of services) for (const sp of s.spec.ports ?? []) for (const d of selected(s)) {
    const port = targetPort(s, d, sp);
    if (port && !admitting(pod(d), port).length) fail(where(s), `port ${sp.name ?? sp.port}: no NetworkPolicy admits anything to ${d.metadata.name}, so under default-deny nothing reaches it`);
  }
}

// A shipped appsettings.json points at 127.0.0.1 (the local setup); in a cluster or compose every such setting must be
// overridden by the environment, or the service would call itself. Arrays count as overridden from their first item.
const projects = { ingestion: "services/ingestion/Mlops.Ingestion", features: "services/features/Mlops.Features",
  training: "services/training/Mlops.Training", registry: "services/registry/Mlops.Registry",
  inference: "services/inference/Mlops.Inference", monitoring: "services/monitoring/Mlops.Monitoring", gateway: "gateway/Mlops.Gateway" };
function loopbackSettings(project) {
  const file = join(root, project, "appsettings.json");
  if (!existsSync(file)) return [];
  const out = [];
  const walk = (v, key) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${key}__${i}`));
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}__${k}` : k);
    else if (typeof v === "string" && /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(v)) out.push(key);
  };
  walk(JSON.parse(readFileSync(file, "utf8")), "");
  return out;
}
function checkLoopback(where, project, env) {
  for (const key of loopbackSettings(project))
    if (!(key in env)) fail(where, `${key} keeps the local default of ${project}/appsettings.json (127.0.0.1); set it`);
}

// The variants an inference instance may serve (Inference:Variants; KnownVariants in the inference service's
// InferenceServiceExtensions). Each needs an instance: the gateway splits traffic between champion and challenger and
// mirrors to shadow, and an instance serving other variants refuses the request (a mirror would only ever fail).
const servedVariants = ["champion", "challenger", "shadow"];

// Settings that list every inference instance: what reads them would not see a variant left out (its errors, latency
// and drift would go unanalysed during a rollout, unmonitored after).
const instanceLists = { Registry__Rollouts__InferenceAddresses__: "the registry's rollout analysis", Monitoring__InferenceBaseAddresses__: "monitoring" };

// Every inference variant instance must be reachable through the gateway: Gateway:Variants:Clusters:{variant} names a
// YARP cluster, and that cluster's destination is the instance serving the variant. Shared by k8s, compose and tye.
function checkVariants(instances, name) {
  const gateway = instances.find((i) => Object.keys(i.env).some((k) => k.startsWith("Gateway__Variants__Clusters__")));
  const variants = instances.filter((i) => i.env.Inference__Variants__0).map((i) => ({ ...i, variant: i.env.Inference__Variants__0 }));
  for (const variant of servedVariants)
    if (!variants.some((v) => v.variant === variant)) fail(name, `no inference instance serves the ${variant} variant (Inference__Variants__0: ${variant})`);
  if (!gateway) return fail(name, "no gateway maps variants to clusters (Gateway__Variants__Clusters__{variant})");
  // Locally (tye) every instance is on 127.0.0.1: the port tells them apart.
  const isInstance = (address, v) => hostOf(address) === v.host && (v.port === undefined || new URL(address).port === String(v.port));
  for (const [prefix, reader] of Object.entries(instanceLists)) {
    const holder = instances.find((i) => Object.keys(i.env).some((k) => k.startsWith(prefix)));
    if (!holder) { fail(name, `nothing sets ${prefix}{n}: ${reader} would read no inference instance`); continue; }
    const addresses = Object.entries(holder.env).filter(([k]) => k.startsWith(prefix)).map(([, a]) => a);
    for (const v of variants)
      if (!addresses.some((a) => isInstance(a, v))) fail(holder.where, `${prefix}{n} leaves out the ${v.variant} instance ${v.where}: ${reader} would not see it`);
  }
  for (const v of variants) {
    const cluster = gateway.env[`Gateway__Variants__Clusters__${v.variant}`];
    if (!cluster) { fail(gateway.where, `no Gateway__Variants__Clusters__${v.variant} for the instance ${v.where}`); continue; }
    const address = Object.entries(gateway.env).find(([k]) => k.startsWith(`ReverseProxy__Clusters__${cluster}__Destinations__`))?.[1];
    if (!address) { fail(gateway.where, `variant ${v.variant} maps to cluster ${cluster}, which has no destination`); continue; }
    if (hostOf(address) !== v.host) fail(gateway.where, `variant ${v.variant}: cluster ${cluster} points at ${address}, not at ${v.host}`);
  }
}

// --- docker-compose.yml and tye.yaml -------------------------------------------------------------------------------
function checkCompose(file) {
  const [compose] = readYamlDocuments(join(root, file));
  if (!isObject(compose?.services)) return fail(file, "no services");
  for (const [n, s] of Object.entries(compose.services)) {
    if (!s.image && !s.build) fail(file, `service ${n} has neither image nor build`);
    for (const dep of Object.keys(isObject(s.depends_on) ? s.depends_on : {})) if (!compose.services[dep]) fail(file, `service ${n} depends on unknown ${dep}`);
    if (s.environment !== undefined && !isObject(s.environment)) fail(file, `service ${n}: environment must be a map`);
  }
  for (const [n, s] of Object.entries(compose.services))
    if (s.build?.args?.PROJECT) checkLoopback(`${file}: ${n}`, s.build.args.PROJECT, s.environment ?? {});
  const instances = Object.entries(compose.services).map(([n, s]) => ({ where: `${file}: ${n}`, host: n, env: Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)])) }));
  checkVariants(instances, file);
  return Object.keys(compose.services).length;
}

function checkTye(file) {
  const [tye] = readYamlDocuments(join(root, file));
  const services = tye?.services ?? [];
  const ports = new Map();
  for (const s of services) {
    if (!s.name || !s.project) fail(file, `a service lacks name or project`);
    else if (!existsSync(join(root, s.project))) fail(file, `${s.name}: project ${s.project} does not exist`);
    for (const b of s.bindings ?? []) { if (ports.has(b.port)) fail(file, `${s.name} and ${ports.get(b.port)} both bind port ${b.port}`); ports.set(b.port, s.name); }
  }
  const port = (n) => services.find((s) => s.name === n)?.bindings?.[0]?.port;
  const instances = services.map((s) => ({ where: `${file}: ${s.name}`, host: "127.0.0.1", port: port(s.name), env: Object.fromEntries((s.env ?? []).map((e) => [e.name, String(e.value)])) }));
  checkVariants(instances, file);
  // Locally every instance is on 127.0.0.1: the variant's cluster must point at the instance's own port.
  const gateway = instances.find((i) => Object.keys(i.env).some((k) => k.startsWith("Gateway__Variants__Clusters__")));
  for (const v of instances.filter((i) => i.env.Inference__Variants__0)) {
    const cluster = gateway?.env[`Gateway__Variants__Clusters__${v.env.Inference__Variants__0}`];
    const address = Object.entries(gateway?.env ?? {}).find(([k]) => k.startsWith(`ReverseProxy__Clusters__${cluster}__Destinations__`))?.[1];
    if (address && new URL(address).port !== String(v.port)) fail(v.where, `gateway cluster ${cluster} points at ${address}, not at port ${v.port}`);
  }
  return services.length;
}

// --- main --------------------------------------------------------------------------------------------------------
if (renderOnly) {
  console.log(JSON.stringify(render(resolve(renderOnly)).map(({ __file, ...o }) => o), null, 1));
  process.exit(errors.length ? 1 : 0);
}
async function validateAll(objects, name) {
  for (const o of objects) await validateSchema(o, `${name}: ${o.kind}/${o.metadata?.name} (${(o.__file ?? "").slice(root.length + 1)})`);
  checkPlatform(objects.map((o) => ({ ...o, metadata: o.metadata ?? {}, spec: o.spec ?? {} })), name);
}

// The validator must reject what it is meant to catch: each mistake below, made in a copy of the rendered base,
// has to produce a problem, or the run fails (a validator that passes everything would otherwise go unnoticed).
const mistakes = {
  "replicas as a string": (all) => { all.find((o) => o.kind === "Deployment").spec.replicas = "two"; },
  "a CPU quantity that is no quantity": (all) => { containersOf(all.find((o) => o.kind === "Deployment"))[0].resources.requests.cpu = "lots"; },
  "a misspelt field": (all) => { const d = all.find((o) => o.kind === "Deployment"); d.spec.template.spec.nodeSelectr = { gpu: "true" }; },
  "a removed API version": (all) => { all.find((o) => o.kind === "HorizontalPodAutoscaler").apiVersion = "autoscaling/v2beta1"; },
  "a readiness probe off the health endpoint": (all) => { containersOf(all.find((o) => o.kind === "Deployment"))[0].readinessProbe.httpGet.path = "/"; },
  "no memory limit": (all) => { delete containersOf(all.find((o) => o.kind === "Deployment"))[0].resources.limits.memory; },
  "a second service exposed": (all) => { all.find((o) => o.kind === "Service" && o.metadata.name === "registry").spec.type = "LoadBalancer"; },
  "more consumers than partitions": (all) => { all.find((o) => o.kind === "HorizontalPodAutoscaler").spec.maxReplicas = 4; },
  "a committed Secret": (all) => { all.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "mlops-secrets" }, stringData: { MLOPS_API_KEY: "x" } }); },
  "a variant the gateway does not route": (all) => {
    const gw = containersOf(all.find((o) => o.kind === "Deployment" && o.metadata.name === "gateway"))[0];
    gw.env = gw.env.filter((e) => e.name !== "Gateway__Variants__Clusters__challenger");
  },
  "a setting left at its local 127.0.0.1 default": (all) => {
    const gw = containersOf(all.find((o) => o.kind === "Deployment" && o.metadata.name === "gateway"))[0];
    gw.env = gw.env.filter((e) => e.name !== "ReverseProxy__Clusters__monitoring__Destinations__primary__Address");
  },
  "a variant without an instance": (all) => {
    // The state docker-compose.yml and tye.yaml were in: no shadow instance, nothing pointing at one.
    const isShadow = (o) => o.metadata.name === "inference-shadow" || o.spec?.selector?.matchLabels?.["mlops.io/variant"] === "shadow";
    all.splice(0, all.length, ...all.filter((o) => !isShadow(o)));
    for (const d of all.filter((o) => o.kind === "Deployment")) for (const c of containersOf(d)) c.env = (c.env ?? []).filter((e) => !/shadow/.test(`${e.name}=${e.value}`));
  },
  "an instance the rollout analysis does not read": (all) => {
    const registry = containersOf(all.find((o) => o.kind === "Deployment" && o.metadata.name === "registry"))[0];
    registry.env = registry.env.filter((e) => !(e.name.startsWith("Registry__Rollouts__InferenceAddresses__") && /inference-shadow/.test(e.value)));
  },
  "no default-deny NetworkPolicy": (all) => { all.splice(all.findIndex((o) => o.kind === "NetworkPolicy" && o.metadata.name === "default-deny-ingress"), 1); },
  "a caller the network policies do not admit": (all) => {
    const features = all.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "features");
    features.spec.ingress[0].from = features.spec.ingress[0].from.filter((p) => p.podSelector?.matchLabels?.["app.kubernetes.io/name"] !== "training");
  },
  "a service open to every pod": (all) => { delete all.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "registry").spec.ingress[0].from; },
  "a pod admitted that never calls the service": (all) => {
    all.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "registry").spec.ingress[0].from.push({ podSelector: { matchLabels: { "app.kubernetes.io/name": "ingestion" } } });
  },
  "a Service port no network policy admits": (all) => { all.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "inference").spec.ingress.splice(1, 1); },
  "an address of no Service": (all) => {
    const gw = containersOf(all.find((o) => o.kind === "Deployment" && o.metadata.name === "gateway"))[0];
    gw.env.find((e) => e.name.startsWith("ReverseProxy__Clusters__registry")).value = "http://registri:8080/";
  },
};

const k8s = join(root, "infra/k8s");
const base = render(join(k8s, "base"));
for (const [mistake, make] of Object.entries(mistakes)) {
  const copy = structuredClone(base);
  // A mistake that cannot be made (the object it changes is gone from the manifests) is a finding, not a crash.
  try { make(copy); } catch (e) { fail("self-test", `could not make ${mistake} in the rendered base: ${e.message}`); continue; }
  const before = errors.length;
  await validateAll(copy, "self-test");
  const caught = errors.length > before;
  errors.splice(before);
  if (!caught) fail("self-test", `the validator did not reject ${mistake}`);
}
console.log(`self-test: ${Object.keys(mistakes).length} deliberate mistakes, each rejected${errors.length ? " (except those below)" : ""}`);
const targets = [join(k8s, "base"), ...readdirSync(join(k8s, "overlays")).map((o) => join(k8s, "overlays", o))];
let count = 0;
for (const target of targets) {
  const name = target.slice(root.length + 1);
  const objects = render(target);
  await validateAll(objects, name);
  console.log(`k8s: ${name}: ${objects.length} objects rendered and validated`);
  count += objects.length;
}
const composeServices = checkCompose("docker-compose.yml");
const tyeServices = checkTye("tye.yaml");
console.log(`compose: ${composeServices} services; tye: ${tyeServices} services`);
if (errors.length) {
  for (const e of errors) console.error(`  ✗ ${e}`);
  console.error(`k8s validation: ${errors.length} problem(s)`);
  process.exit(1);
}
console.log(`k8s validation: ${count} objects, compose and tye: no problems`);
