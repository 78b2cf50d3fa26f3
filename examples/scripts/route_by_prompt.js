// Route by prompt: short, simple prompts go to a cheap model, long ones or
// ones that ask for reasoning go to a strong one. Only for the public model
// name "auto"; every other name is routed by the config.
//
//   script examples/scripts/route_by_prompt.js

const CHEAP = "mock/cheap-1";
const STRONG = "mock/strong-1";
const KEYWORDS = ["prove", "step by step", "analyse", "analyze", "debug", "architecture"];

function promptText(req) {
  let text = req.system || "";
  for (const m of req.messages) {
    if (typeof m.content === "string") {
      text += "\n" + m.content;
    } else {
      for (const part of m.content) if (part.type === "text") text += "\n" + part.text;
    }
  }
  return text;
}

function route(req) {
  if (req.model !== "auto") return null;
  if (req.estimated_input_tokens > 1000) return STRONG;
  const text = promptText(req).toLowerCase();
  if (KEYWORDS.some((w) => text.includes(w))) return STRONG;
  // The cheap model first; the strong one if the cheap one fails.
  return [CHEAP, STRONG];
}
