-- A system prompt per team, chosen by the x-team header (or, once consumers
-- exist, by the consumer's metadata), put before whatever system prompt the
-- client sent.
--
--   script examples/scripts/team_system_prompt.lua

local PROMPTS = {
  support = "You answer customers of ACME. Be kind, be brief, never promise refunds.",
  legal = "You assist ACME's lawyers. Cite your sources. Say when you are unsure.",
}

function on_request(req)
  local team = (req.consumer.metadata and req.consumer.metadata.team) or req.headers["x-team"]
  local prompt = team and PROMPTS[team]
  if prompt == nil then return end
  if req.system and req.system ~= "" then
    req.system = prompt .. "\n\n" .. req.system
  else
    req.system = prompt
  end
  req.metadata.team = team
end
