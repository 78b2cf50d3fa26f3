-- Refuse prompts that carry credentials: OpenAI-style keys, AWS access key
-- ids, GitHub tokens, private key blocks. The client gets a 400 that names
-- the rule, never the matched text.
--
--   script examples/scripts/block_secrets.lua

-- Lua patterns have no {n} repetition, so each rule has a minimum length.
local RULES = {
  { name = "an API key", pattern = "sk%-[%w%-_]+", min = 23 },
  { name = "an AWS access key id", pattern = "AKIA[%u%d]+", min = 20 },
  { name = "a GitHub token", pattern = "gh[pousr]_%w+", min = 24 },
  { name = "a private key", pattern = "%-%-%-%-%-BEGIN [%u ]*PRIVATE KEY%-%-%-%-%-", min = 0 },
}

local function check(text)
  for _, rule in ipairs(RULES) do
    for match in string.gmatch(text, rule.pattern) do
      if #match >= rule.min then
        gw.deny(400, "The prompt contains what looks like " .. rule.name .. "; remove it and try again.")
      end
    end
  end
end

function on_request(req)
  if req.system then check(req.system) end
  for _, m in ipairs(req.messages) do
    if type(m.content) == "string" then
      check(m.content)
    else
      for _, part in ipairs(m.content) do
        if part.type == "text" then check(part.text) end
      end
    end
  end
end
