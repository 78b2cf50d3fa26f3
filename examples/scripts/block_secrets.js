// Refuse prompts that carry credentials: OpenAI-style keys, AWS
// access key ids, GitHub tokens, private key blocks. The client gets a 400
// that names the rule, never the matched text.
//
//   script examples/scripts/block_secrets.js

const PATTERNS = [
  { name: "an API key", re: /sk-[A-Za-z0-9_-]{20,}/ },
  { name: "an AWS access key id", re: /AKIA[A-Z0-9]{16}/ },
  { name: "a GitHub token", re: /gh[pousr]_[A-Za-z0-9]{20,}/ },
  { name: "a private key", re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
];

function check(text) {
  for (const p of PATTERNS) {
    if (p.re.test(text)) {
      gw.deny(400, "The prompt contains what looks like " + p.name + "; remove it and try again.");
    }
  }
}

function on_request(req) {
  if (req.system) check(req.system);
  for (const m of req.messages) {
    if (typeof m.content === "string") check(m.content);
    else for (const part of m.content) if (part.type === "text") check(part.text);
  }
}
