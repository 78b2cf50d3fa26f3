package guard

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Word classes. A token carries a set of them; the rules in injection.go
// look for co-occurrences of classes within a sentence ("ignore" near
// "previous" near "instructions") rather than for fixed strings, which is
// what lets one rule cover word order, inserted words and seven languages.
const (
	cOverride     uint64 = 1 << iota // ignore, disregard, forget, bypass, olvida, vergiss, 忽略
	cPrior                           // previous, prior, above, anteriores, vorherigen, 之前
	cAll                             // all, any, your, todas, alle, 所有
	cInstr                           // instructions, prompt, guidelines: what an operator gives a model
	cRules                           // rules, restrictions, filters: weaker, common in ordinary talk
	cAbove                           // "everything above", "the text above": a target that carries "prior"
	cReveal                          // reveal, print, show, repeat, what is
	cSysPrompt                       // system prompt, hidden prompt, developer message
	cOwnerStrong                     // your, hidden, secret, internal, confidential
	cOwnerWeak                       // original, initial, full, complete
	cVerbatim                        // verbatim, word for word, everything, in a code block
	cPersona                         // you are now, act as, pretend, roleplay
	cUnrestricted                    // unrestricted, uncensored, no restrictions, do anything now
	cUnrWeak                         // developer mode, jailbreak: alone, a topic; with a persona switch, an attack
	cWithout                         // without, no, sin, sans, ohne: with cRules it means unrestricted
	cSend                            // send, post, upload, forward
	cSensitive                       // conversation history, api keys, passwords, previous messages
	cTool                            // tool, function, plugin, webhook
	cCall                            // call, invoke, use, run
	cAddrAI                          // ai, assistant, llm, language model
	cAddrIntro                       // note, attention, dear, to, for: what precedes a direct address
	cAddrDirect                      // "if you are an ai", "ai agents reading this"
	cConceal                         // do not tell the user, secretly, silently
	cNewInstr                        // new instructions, from now on, instead
	cMust                            // you must, you will now, the assistant must
	cDecode                          // decode, base64, hex
	cFollow                          // follow, execute, obey
	cNeg                             // not, don't, never, nicht, no, не
	cNegAfter                        // negation that follows the verb: pas, nicht
	cDiscuss                         // prompt injection, attack, research, example: talk *about* attacks
	cThird                           // its, their, the model's: an instruction someone else was given
	cURL                             // set by the tokenizer for URLs and e-mail addresses
)

// attackClasses are the classes whose obfuscated spelling is itself a
// signal: nobody writes "1gn0r3" or "іnstruсtіоns" by accident.
const attackClasses = cOverride | cInstr | cSysPrompt | cReveal | cPersona | cUnrestricted | cUnrWeak | cRules | cPrior

// lexicon lists, per class, entries separated by '|'. An entry with spaces
// is a phrase matched token by token. Entries are folded like the text
// (lower case, accents removed), so they may be written with accents. CJK
// entries are matched inside runs of ideographs.
var lexicon = []struct {
	class   uint64
	entries string
}{
	{cOverride, `ignore|ignoring|disregard|disregarding|forget|forgetting|forgotten|override|overriding|overwrite|bypass|circumvent|discard|abandon|skip|neglect|set aside|pay no attention to|stop following|stop obeying|no longer follow|cancel|cancelled|canceled|revoke|revoked|void|nullify|throw out|scrap|disable|disabled|turn off|switch off|deactivate|deactivated|outdated|obsolete|invalid|no longer apply|no longer valid|do not apply|dont apply|null and void`},
	{cOverride, `ignora|ignore|ignorar|ignores|ignoren|olvida|olvide|olvidar|olvidate|olviden|descarta|descarte|omite|omita|desestima|anula|anule|haz caso omiso|no hagas caso|pasa por alto|desobedece`},
	{cOverride, `ignore|ignorez|ignorer|oublie|oubliez|oublier|ne tiens pas compte|ne tenez pas compte|ne tiens plus compte|ne tenez plus compte|fais abstraction|faites abstraction|outrepasse|contourne|contournez|neglige|negligez|passe outre|passez outre|annule|annulez`},
	{cOverride, `ignoriere|ignorieren|ignoriert|ignorier|vergiss|vergesst|vergessen|missachte|missachten|uberschreibe|umgehe|umgehen|verwirf|verwerfe|deaktiviere|hinfallig|ungultig|aufgehoben`},
	{cOverride, `ignora|ignorar|ignorem|esqueca|esquece|esquecer|esquecam|desconsidere|desconsidera|desconsiderar|despreze|anule|descarte`},
	{cOverride, `игнорируй|игнорируйте|проигнорируй|проигнорируйте|игнорировать|забудь|забудьте|забыть|отбрось|отбросьте|отмени|отмените|пренебреги|обойди|не обращай внимания|не обращайте внимания`},
	{cOverride, `忽略|无视|忘记|忘掉|不要理会|别理会|不理会|不用理会|抛开|抛弃|覆盖|绕过|跳过|不要管|别管|违背|不要遵守|不再遵守`},

	{cPrior, `previous|prior|above|earlier|preceding|original|initial|old|foregoing|before|existing|default|given|beforehand|former|starting`},
	{cPrior, `anteriores|anterior|previas|previos|previa|previo|precedentes|originales|iniciales|arriba|antes|precedentes|precedents|precedente|anterieures|anterieurs|dessus|cidessus|initiales|initiaux|vorherigen|vorherige|vorheriger|bisherigen|bisherige|vorigen|obigen|obige|oben|fruheren|fruhere|ursprunglichen|ursprungliche|alten|anfanglichen|originais|iniciais|acima|предыдущие|предыдущих|предыдущим|прежние|прежних|ранее|вышеуказанные|выше|изначальные|исходные|первоначальные|之前|以前|先前|上面|以上|前面|上述|原来|原有|此前|早先|之前的|上面的`},
	{cAll, `all|any|every|everything|each|your|these|those|whatever|entire|whole|todas|todos|todo|toda|cualquier|tus|sus|toutes|tous|tout|vos|tes|alle|allen|deine|deinen|jegliche|samtliche|tudo|suas|tuas|все|всех|свои|твои|ваши|любые|所有|全部|一切|任何`},
	{cInstr, `instruction|instructions|prompt|prompts|directive|directives|directions|guideline|guidelines|guidance|programming|initialization|you were told|youve been told|you have been told|you were given|youve been given|you were programmed|what you were told|configuration|config`},
	{cInstr, `instrucciones|instruccion|indicaciones|directrices|directivas|pautas|consignas|consignes|indications|invite|anweisungen|anweisung|instruktionen|vorgaben|richtlinien|direktiven|instrucoes|instrucao|orientacoes|diretrizes|diretivas|comandos|инструкции|инструкций|инструкциям|указания|указаний|указаниям|промпт|промпта|директивы|指令|指示|说明|提示|提示词|设定|要求|命令|指引`},
	{cRules, `rule|rules|restriction|restrictions|constraint|constraints|policy|policies|guardrail|guardrails|filter|filters|filtering|limitation|limitations|limit|limits|safeguard|safeguards|safety|ethics|ethical|morals|moral|principles|boundaries|commands|content policy|censorship|training|conditioning|alignment`},
	{cRules, `reglas|restricciones|restriccion|normas|politicas|limitaciones|limites|filtros|salvaguardas|regles|restriction|contraintes|filtres|filtre|politiques|garde fous|regeln|einschrankungen|beschrankungen|grenzen|sicherheitsrichtlinien|inhaltsrichtlinien|regras|restricoes|limitacoes|правила|правил|ограничения|ограничений|фильтры|фильтров|запреты|规则|限制|约束|规定|政策|准则|安全准则|过滤|审查`},
	{cAbove, `the above|everything above|all of the above|all the above|everything before|everything before this|text above|the text above|words above|the words above|everything prior|preceding text|the conversation so far|todo lo anterior|tout ce qui precede|alles oben|alles obige|tudo acima|всё выше|все выше|以上内容|上面的内容`},
	{cReveal, `reveal|print|show|display|repeat|output|tell|give|leak|dump|share|recite|expose|disclose|copy|paste|echo|write out|spell out|list|return|type out|what is|what are|whats|what were|what was`},
	{cReveal, `muestra|muestrame|muestre|revela|revelame|revele|imprime|imprima|repite|repita|dime|ensename|comparte|divulga|copia|cuales son|cual es|affiche|affichez|montre|montrez|revele|revelez|imprime|imprimez|repete|repetez|donne|donnez|dis|divulgue|partage|recopie|quelles sont|quel est|zeig|zeige|zeigt|gib|wiederhole|wiederholen|verrate|verrat|drucke|nenne|teile|offenbare|enthulle|was sind|was ist|mostre|mostra|revela|imprima|repita|diga|exiba|compartilhe|quais sao|qual e|покажи|покажите|выведи|выведите|раскрой|раскройте|повтори|повторите|скажи|расскажи|распечатай|显示|展示|输出|告诉我|打印|重复|泄露|透露|给我看|发给我|列出|说出|复述|是什么|列出来`},
	{cSysPrompt, `system prompt|system prompts|system message|initial prompt|hidden prompt|secret prompt|pre prompt|preprompt|developer message|developer prompt|meta prompt|metaprompt|system instructions|system configuration|hidden configuration`},
	{cSysPrompt, `prompt del sistema|prompt de sistema|mensaje del sistema|instrucciones del sistema|prompt systeme|invite systeme|message systeme|instructions systeme|consignes systeme|systemprompt|systemanweisung|systemanweisungen|systemnachricht|prompt do sistema|mensagem do sistema|instrucoes do sistema|системный промпт|системного промпта|системные инструкции|системное сообщение|системную подсказку|系统提示|系统提示词|系统指令|系统消息|初始指令|隐藏提示|预设提示|初始提示`},
	{cOwnerStrong, `your|yours|hidden|secret|internal|confidential|private|underlying|tus|tu|internas|internos|ocultas|ocultos|oculta|oculto|secretas|ton|ta|tes|votre|vos|cachees|cache|secretes|internes|deine|deinen|deinem|dein|versteckten|versteckte|geheimen|internen|seu|sua|suas|seus|tuas|teu|ocultas|secretos|свой|свои|твой|твои|ваш|ваши|скрытые|секретные|внутренние|你的|隐藏|秘密|内部`},
	{cOwnerWeak, `original|initial|full|entire|complete|real|actual|exact|raw|first|completo|completa|originales|iniciales|complet|complete|integral|initiales|vollstandigen|vollstandig|kompletten|komplette|ursprunglichen|completo|originais|iniciais|исходные|изначальные|полностью|完整|完整地|原始|全部`},
	{cVerbatim, `verbatim|word for word|exactly|in full|everything|all of it|letter for letter|as is|unchanged|without summarizing|without summarising|code block|character for character|starting with|palabra por palabra|textualmente|literalmente|mot pour mot|textuellement|integralement|en entier|wortlich|wortwortlich|vollstandig|palavra por palavra|дословно|целиком|полностью|逐字|一字不差|原封不动`},
	{cPersona, `you are now|youre now|you are no longer|from now on you are|from now on youre|act as|acting as|pretend|pretending|roleplay|role play|play the role|simulate|behave as|behave like|you will now be|you have become|you are going to be|youre going to be|imagine you are|stay in character|enter|entering|you are in|youre in|lets play a game|from now on you|you will act as`},
	{cPersona, `ahora eres|eres ahora|actua como|finge ser|finge que eres|interpreta el papel|comportate como|tu es maintenant|vous etes maintenant|tu es desormais|vous etes desormais|desormais tu es|agis comme|agissez comme|fais comme si|fais semblant|joue le role|comporte toi comme|du bist jetzt|du bist nun|ab jetzt bist du|ab sofort bist du|von nun an bist du|du bist ab sofort|tu so als|verhalte dich wie|verhalte dich als|spiele die rolle|agiere als|agora voce e|voce agora e|aja como|atue como|finja ser|finja que e|comporte se como|теперь ты|ты теперь|отныне ты|притворись|представь что ты|веди себя как|действуй как|играй роль|你现在是|从现在开始你是|从现在起你是|现在你是|扮演|假装你是|假装|充当|你将成为|你已经是`},
	{cUnrestricted, `unrestricted|unfiltered|uncensored|unlimited|jailbroken|jailbreak mode|do anything now|no restrictions|no restriction|no limits|no limitations|no rules|no filters|no filter|no guidelines|no content policy|no ethical|no morals|no boundaries|without restrictions|without limits|without limitations|without rules|without filters|without any|not bound by|free from|freed from|unbound|amoral|anything goes|no longer bound|never refuse|never refuses|cannot refuse|cant refuse|without refusing|without any filtering|no censorship|unchained|unleashed`},
	{cUnrestricted, `sin restricciones|sin filtros|sin limites|sin censura|sin reglas|sin ninguna restriccion|sans restrictions|sans restriction|sans filtre|sans filtres|sans limites|sans censure|sans regles|sans aucune restriction|libre de toute restriction|ohne einschrankungen|ohne jegliche einschrankungen|ohne filter|ohne grenzen|ohne regeln|ohne zensur|uneingeschrankt|uneingeschrankte|unzensiert|keine regeln|keine einschrankungen|sem restricoes|sem filtros|sem limites|sem censura|sem regras|без ограничений|без фильтров|без цензуры|без правил|没有任何限制|没有限制|不受限制|无限制|不受任何限制|没有任何规则|没有规则|无审查|不受约束`},
	{cUnrWeak, `developer mode|dev mode|god mode|sudo mode|jailbreak|jailbreaks|dan mode|modo desarrollador|mode developpeur|entwicklermodus|modo desenvolvedor|режим разработчика|开发者模式|越狱`},
	{cWithout, `without|no|sin|sans|aucune|aucun|ohne|keine|kein|sem|без|没有|无`},
	{cSend, `send|post|upload|forward|transmit|exfiltrate|email|submit|deliver|fetch|curl|wget|append|embed|navigate|visit|push|export|envia|manda|reenvia|sube|envoie|envoyez|transfere|transmets|sende|schicke|schick|leite|ubermittle|envie|mande|encaminhe|отправь|отправьте|перешли|пошли|发送|发给|转发|上传`},
	{cSensitive, `conversation|conversations|chat history|conversation history|history|previous messages|all messages|last messages|chat log|chat logs|secrets|api key|api keys|password|passwords|credentials|credential|tokens|cookies|environment variables|env|memory|personal data|user data|address book|contacts|inbox|ssh keys|private key|system prompt|historial|contrasena|contrasenas|historique|mot de passe|chatverlauf|verlauf|passwort|historico|senha|историю|история|пароль|对话历史|聊天记录|密码|历史`},
	{cTool, `tool|tools|function|plugin|api|endpoint|webhook|http_request|browser|herramienta|outil|werkzeug|ferramenta|инструмент|工具`},
	{cCall, `call|invoke|use|run|execute|trigger|calling|using|llama|appelle|rufe|chame|вызови|调用|使用`},
	{cAddrAI, `ai|assistant|assistants|llm|llms|model|chatbot|bot|bots|agent|agents|gpt|chatgpt|claude|gemini|copilot|language model|large language model|ai assistant|ai model|ai agent|ai system|ia|ki|ии|人工智能|ai助手|助手|模型`},
	{cAddrIntro, `note|message|attention|attn|instructions|instruction|dear|hey|hi|hello|to|for|important|nota|para|hinweis|fur|pour|aviso|致|给`},
	{cAddrDirect, `if you are an ai|if you are an llm|if youre an ai|if youre an llm|if you are a language model|if you are an ai agent|if you are an assistant|ai agents reading this|ai reading this|llm reading this|assistant reading this|bots reading this|models reading this|ai model processing this|ai processing this|si eres una ia|si tu es une ia|wenn du eine ki bist|如果你是ai|如果你是人工智能`},
	{cConceal, `do not tell|dont tell|do not mention|dont mention|without telling|without informing|without notifying|secretly|silently|covertly|quietly|without the user knowing|without the user noticing|hide this|keep this hidden|keep this secret|do not inform|dont inform|never mention|not tell the user|not mention|do not let the user know|dont let the user know|without mentioning|never reveal this|no se lo digas|sin decirle|no le digas|no menciones|en secreto|sans le dire|ne le dis pas|ne mentionne pas|en secret|discretement|heimlich|erwahne nicht|sag es nicht|em segredo|nao conte|nao mencione|sem avisar|тайно|незаметно|не говори|не сообщай|不要告诉|不要让用户知道|悄悄|偷偷|秘密地`},
	{cNewInstr, `new instructions|new instruction|updated instructions|new task|new rules|new role|new system prompt|new directive|new directives|real instructions|actual instructions|true instructions|from now on|instead|system override|admin override|override mode|admin mode|maintenance mode|debug mode|important instructions|important instruction|priority instructions|the following instructions|follow these|follow only|obey me|only my commands|my commands|listen only to me|nuevas instrucciones|a partir de ahora|en su lugar|nouvelles instructions|nouvelles consignes|a partir de maintenant|desormais|a la place|neue anweisungen|ab jetzt|ab sofort|von nun an|stattdessen|neue aufgabe|novas instrucoes|a partir de agora|em vez disso|новые инструкции|с этого момента|отныне|вместо этого|新的指令|新指令|从现在开始|从现在起|取而代之`},
	{cMust, `you must|you will|you shall|you should now|you have to|you are required|you are to|you are instructed|you are ordered|must now|will now|the assistant must|the assistant will|the ai must|the model must|assistant must|debes|tu dois|vous devez|du musst|voce deve|ты должен|你必须`},
	{cDecode, `decode|decoded|decoding|base64|hex|rot13|decrypt|decipher|unhex|decodifica|decode|dekodiere|decodifique|декодируй|解码`},
	{cFollow, `follow|execute|obey|comply|carry out|perform|do what it says|what it says|act on|sigue|ejecuta|suis|execute|befolge|fuhre|siga|execute|выполни|执行|遵循`},
	{cNeg, `not|dont|do not|never|no|nicht|nie|niemals|kein|keine|nunca|jamais|ne|n|nao|не|никогда|别|不`},
	{cNegAfter, `pas|nicht|nie|niemals|jamais|point`},
	{cDiscuss, `prompt injection|prompt injections|injection|injections|attack|attacks|attacker|attackers|adversarial|malicious|vulnerability|vulnerabilities|mitigate|mitigation|mitigations|defend|defense|defence|defenses|defences|detect|detection|detector|classifier|research|researchers|paper|owasp|red team|example|examples|for example|such as|phrase|phrases|string|strings|known as|called|technique|techniques|benchmark|dataset|corpus|unit test|security|threat|risk|explain|wikipedia|article|blog`},
	{cThird, `its|their|his|her|the models|a models|models|llms|chatbots|agents|the model|a model|an llm|the llm|the ais|the assistants|someone|users|others`},
}

// Known words that carry no class but take part in phrases or in the
// segmentation of glued letters ("ignoreallpreviousinstructions").
const glueWords = `the|a|an|and|to|of|me|my|now|you|are|is|in|on|with|what|were|was|this|that|it|them|please|then|say|said|tell|i|am|be|do|as|by|from|new|mode|only|no|if|reading|for|show|print`

var (
	lexWords   = map[string]uint64{} // one-word entries and every phrase word
	lexPhrases = map[string][]phrase{}
	lexCJK     = map[string]uint64{}
	maxCJKLen  = 0 // in runes
	maxWordLen = 0 // in bytes, for glued-letter segmentation
)

type phrase struct {
	words []string
	class uint64
}

func init() {
	for _, group := range lexicon {
		for _, entry := range strings.Split(group.entries, "|") {
			addEntry(stripMarks(strings.ToLower(entry)), group.class)
		}
	}
	for _, w := range strings.Split(glueWords, "|") {
		addEntry(w, 0)
	}
}

func addEntry(entry string, class uint64) {
	if entry == "" {
		return
	}
	if r, _ := utf8.DecodeRuneInString(entry); isCJK(r) {
		lexCJK[entry] |= class
		maxCJKLen = max(maxCJKLen, utf8.RuneCountInString(entry))
		return
	}
	words := strings.Fields(entry)
	for _, w := range words {
		lexWords[w] |= 0
		maxWordLen = max(maxWordLen, len(w))
	}
	if len(words) == 1 {
		lexWords[words[0]] |= class
		return
	}
	lexPhrases[words[0]] = append(lexPhrases[words[0]], phrase{words: words, class: class})
}

// isCJK reports ideographs and kana: scripts written without spaces, which
// the tokenizer segments with the lexicon.
func isCJK(r rune) bool {
	if r < 0x2E80 {
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// Chat-template and role markers. In a user message or a tool result they
// pretend that a new system or assistant turn starts. Each marker alone is
// below the threshold (people ask what "[INST]" means); with any other
// signal it is not.
var (
	templateMarkers = []string{"<|im_start|>", "<|im_end|>", "<|system|>", "<|user|>", "<|assistant|>",
		"<|endoftext|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|begin_of_text|>",
		"[inst]", "[/inst]", "<<sys>>", "<</sys>>", "</s>"}
	roleMarkers = []string{"### system", "### instruction", "### new instructions", "<system>", "</system>",
		"[system]", "[system message]", "(system)", "begin system prompt", "end system prompt",
		"end of user input", "end of input", "</user>", "<user>", "</instructions>", "<instructions>",
		"system override", "[assistant instructions]", "---- system", "=== system", "[admin]", "<|im_start|>system",
		"<|start_header_id|>system"}
	lineRoleMarkers = []string{"system:", "assistant:", "admin:", "developer:"}
)

// Signal weights. A signal's weight is the probability-like strength of
// its strongest occurrence; signals combine as 1 - prod(1 - w). The
// default threshold (0.7) sits above every single weak signal, so that a
// lone "ignore the previous error" or "[INST]" never blocks.
const (
	wOverrideInstr       = 0.6  // verb + instructions/prompt/guidelines
	wOverrideAbove       = 0.45 // verb + "everything above"
	wOverrideRules       = 0.4  // verb + rules/filters
	wPriorBonus          = 0.3  // "previous", "above" next to the target
	wAllBonus            = 0.15 // "all", "your" next to the target
	wRevealSys           = 0.55 // reveal + system prompt
	wRevealInstr         = 0.15 // reveal + instructions (needs an owner to matter)
	wRevealAbove         = 0.35 // reveal + the text above
	wOwnerStrong         = 0.3  // "your", "hidden" on a system prompt
	wOwnerWeak           = 0.2  // "initial", "full" on a system prompt
	wVerbatim            = 0.15
	wPersonaUnr          = 0.85 // persona switch + unrestricted
	wPersonaUnrWeak      = 0.6  // persona switch + developer mode
	wPersonaAlone        = 0.2
	wUnrestricted        = 0.4
	wUnrAddressed        = 0.55 // unrestricted said of "you"
	wUnrWeakAlone        = 0.25
	wSendSensDest        = 0.8 // send + conversation/keys + URL/tool
	wSendSens            = 0.3
	wCallToolSens        = 0.75
	wMarkdownExfil       = 0.75 // ![img](https://host/?q={data}): a data placeholder in an image URL
	wTemplateMarker      = 0.5
	wRoleMarker          = 0.4
	wLineRole            = 0.3
	maxDelimiter         = 0.65
	wDelimiterWithOrders = 0.75 // a marker with orders to the model (you must, ignore, act as)
	wThirdPerson         = 0.5  // factor: "its instructions" is about someone else
	wDiscussion          = 0.55 // factor: text about attacks, quoting them
	wBackwards           = 0.95 // factor: target before the verb ("instructions ... ignored")
)

// Weights of the signals that depend on where the text comes from: retrieved
// content (tool results) has no business addressing the assistant.
type sourceWeights struct{ addressed, conceal, newInstr, must float64 }

var (
	userWeights = sourceWeights{addressed: 0.35, conceal: 0.35, newInstr: 0.3, must: 0.15}
	toolWeights = sourceWeights{addressed: 0.6, conceal: 0.5, newInstr: 0.4, must: 0.3}
)
