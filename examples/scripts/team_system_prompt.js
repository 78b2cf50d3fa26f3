// A system prompt per team, chosen by the x-team header (or, once consumers
// exist, by the consumer's metadata), put before whatever system prompt the
// client sent.
//
//   script examples/scripts/team_system_prompt.js

const PROMPTS = {
  support: "You answer customers of ACME. Be kind, be brief, never promise refunds.",
  legal: "You assist ACME's lawyers. Cite your sources. Say when you are unsure.",
};

function on_request(req) {
  const team = (req.consumer.metadata && req.consumer.metadata.team) || req.headers["x-team"];
  const prompt = team && PROMPTS[team];
  if (!prompt) return;
  req.system = req.system ? prompt + "\n\n" + req.system : prompt;
  req.metadata.team = team;
}
