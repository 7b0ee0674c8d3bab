// Loads an XForm in the ODK Web Forms engine (@getodk/xforms-engine) under jsdom, applies a list
// of fill steps, and prints one JSON result: node values, validation violations and the
// serialised submission instance.
//
// Input (JSON on stdin):
//   { "form": "<h:html…>", "media": {"name.csv": "text…"},
//     "steps": [ {"op": "set", "ref": "/f/a", "value": "x"},        // input / select (space-separated)
//                {"op": "add", "ref": "/f/member"},                // append one repeat instance
//                {"op": "file", "ref": "/f/photo", "name": "a.jpg"}, // attach a file to an upload node
//                {"op": "read", "ref": "/f/total"} ] }             // snapshot value + violation now
//   A set/file step with "ifRelevant": true is skipped when its node is not relevant at that
//   moment; with "tree": true the output also has the whole node tree (bench/forms/bench_taps.py).
// Output: { "loaded": true, "reads": [...], "values": {ref: value}, "violations": [...],
//           "status": "ready"|"pending", "instance": "<xml>", "files": [names],
//           "log": [{ref, before, after, skipped}] for set/file steps, "tree": {...} when asked }
// Run with: node --conditions=browser fill.mjs < input.json
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
for (const name of ['DOMParser', 'XMLSerializer', 'document', 'Node', 'Element', 'Document',
  'Attr', 'Text', 'NodeFilter', 'XPathResult', 'CharacterData', 'DocumentFragment',
  'ProcessingInstruction', 'Comment', 'HTMLElement', 'XMLDocument']) {
  if (dom.window[name] !== undefined && globalThis[name] === undefined) {
    globalThis[name] = dom.window[name];
  }
}
globalThis.window ??= dom.window;
globalThis.__dirname ??= process.cwd();

const { loadForm, createInstance } = await import('@getodk/xforms-engine');

const readStdin = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
};

const walk = (node, out) => {
  out.set(node.currentState.reference, node);
  const children = node.currentState.children;
  if (Array.isArray(children)) for (const child of children) walk(child, out);
  return out;
};

const find = (root, ref) => {
  const node = walk(root, new Map()).get(ref);
  if (!node) throw new Error(`no node at ${ref}`);
  return node;
};

const plain = (value) => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof File || value instanceof Blob) return value.name ?? '(blob)';
  if (typeof value === 'object' && 'toString' in value) return String(value);
  return String(value);
};

const violationOf = (node) => {
  const violation = node.validationState?.violation ?? null;
  if (!violation) return null;
  return { condition: violation.condition, message: violation.message?.asString ?? '' };
};

const snapshot = (node) => {
  const state = node.currentState;
  let value = null;
  if (node.nodeType === 'upload') value = node.currentState.instanceValue ?? null;
  else if (node.nodeType === 'select') value = plain(state.value).join(' ');
  else value = plain(state.value);
  if (node.nodeType === 'input' || node.nodeType === 'model-value' || node.nodeType === 'note') {
    value = node.currentState.instanceValue ?? value;
  }
  return { ref: state.reference, type: node.nodeType, value, relevant: state.relevant,
    required: state.required, violation: violationOf(node) };
};

const tree = (node) => {
  const state = node.currentState;
  let appearances = [];
  try { appearances = node.appearances ? [...node.appearances] : []; } catch { appearances = []; }
  const out = { ref: state.reference, type: node.nodeType, relevant: state.relevant,
    required: state.required, readonly: state.readonly, appearances,
    label: state.label?.asString ?? null, hint: state.hint?.asString ?? null };
  if (Array.isArray(state.children)) out.children = state.children.map(tree);
  else out.value = snapshot(node).value;
  return out;
};

const main = async () => {
  const input = JSON.parse(await readStdin());
  const media = input.media ?? {};
  const fetchFormAttachment = async (url) => {
    const name = String(url).split('/').pop();
    if (!(name in media)) return { ok: false, status: 404, text: async () => '', blob: async () => new Blob([]) };
    const text = media[name];
    return { ok: true, status: 200, text: async () => text, blob: async () => new Blob([text]),
      headers: new Headers({ 'content-type': name.endsWith('.csv') ? 'text/csv' : 'text/xml' }) };
  };
  const result = await loadForm(input.form, { fetchFormAttachment });
  if (result.status === 'failure') {
    process.stdout.write(JSON.stringify({ loaded: false, error: String(result.error?.message ?? result.error) }));
    return;
  }
  const { root } = result.createInstance();
  const reads = [];
  const log = [];
  for (const step of input.steps ?? []) {
    const node = find(root, step.ref);
    if ((step.op === 'set' || step.op === 'file')) {
      const before = snapshot(node).value;
      if (step.ifRelevant && !node.currentState.relevant) {
        log.push({ ref: step.ref, before, after: before, skipped: true });
        continue;
      }
      log.push({ ref: step.ref, before, after: null, skipped: false });
    }
    if (step.op === 'set') {
      if (node.nodeType === 'select') {
        const values = step.value === '' || step.value === null ? [] : String(step.value).split(' ');
        node.selectValues(values);
      } else {
        node.setValue(step.value === null ? '' : String(step.value));
      }
    } else if (step.op === 'add') {
      node.addInstances();
    } else if (step.op === 'file') {
      node.setValue(new File([step.content ?? 'x'], step.name, { type: step.mime ?? 'image/jpeg' }));
    } else if (step.op === 'read') {
      reads.push(snapshot(node));
    } else {
      throw new Error(`unknown op ${step.op}`);
    }
    if (step.op === 'set' || step.op === 'file') log[log.length - 1].after = snapshot(node).value;
  }
  const values = {};
  const violations = [];
  for (const [ref, node] of walk(root, new Map())) {
    if (['input', 'model-value', 'select', 'upload', 'note', 'trigger', 'range', 'rank'].includes(node.nodeType)) {
      const snap = snapshot(node);
      values[ref] = snap.value;
      if (snap.violation && snap.relevant) violations.push({ ref, ...snap.violation });
    }
  }
  const payload = await root.prepareInstancePayload();
  const [data] = payload.data;
  const instanceFile = data.get('xml_submission_file');
  const files = [];
  for (const [key] of data.entries()) if (key !== 'xml_submission_file') files.push(key);
  process.stdout.write(JSON.stringify({
    loaded: true, status: payload.status, reads, values, violations,
    payloadViolations: (payload.violations ?? []).map((v) => ({ ref: v.reference, condition: v.violation?.condition })),
    instance: await instanceFile.text(), files, log,
    tree: input.tree ? tree(root) : undefined,
  }));
};

main().catch((error) => {
  process.stdout.write(JSON.stringify({ loaded: false, error: String(error?.stack ?? error) }));
  process.exitCode = 2;
});
