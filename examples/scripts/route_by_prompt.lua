-- Route by prompt: short, simple prompts go to a cheap model, long ones or
-- ones that ask for reasoning go to a strong one. Only for the public model
-- name "auto"; every other name is routed by the config.
--
--   script examples/scripts/route_by_prompt.lua

local CHEAP = "mock/cheap-1"
local STRONG = "mock/strong-1"
local KEYWORDS = { "prove", "step by step", "analyse", "analyze", "debug", "architecture" }

local function prompt_text(req)
  local text = req.system or ""
  for _, m in ipairs(req.messages) do
    if type(m.content) == "string" then
      text = text .. "\n" .. m.content
    else
      for _, part in ipairs(m.content) do
        if part.type == "text" then text = text .. "\n" .. part.text end
      end
    end
  end
  return text
end

function route(req)
  if req.model ~= "auto" then return nil end
  if req.estimated_input_tokens > 1000 then return STRONG end
  local text = string.lower(prompt_text(req))
  for _, word in ipairs(KEYWORDS) do
    if string.find(text, word, 1, true) then return STRONG end
  end
  -- The cheap model first; the strong one if the cheap one fails.
  return { CHEAP, STRONG }
end
