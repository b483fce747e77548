"""Prompt-injection and jailbreak rules, in several languages.

Each rule is a regex plus the *anchor words* it cannot match without. A message is lower-cased
and split into words once; a set lookup finds the anchors present, and only the rules they point
to run their regex. Most messages share no anchor with any rule and cost that split alone.

Anchor syntax: alternatives are separated by ``|``; an alternative is one or more parts joined by
``+`` that must all be present; a part lists interchangeable words separated by ``,``. The first
part of each alternative should be its rarest. ``~x`` is a substring anchor (for punctuation
such as ``<|``), ``*`` marks a rule for scripts written without spaces (checked whenever the text
contains CJK characters).

Rules carry where they apply: ``direct`` (a customer's own message) and ``internal`` (a
retrieved document the company marks internal). Every rule applies to untrusted indirect text
(partner, public and user-uploaded documents, memory). Internal documents are written as
instructions to agents ("do not tell the customer about…"), so only rules no legitimate
document matches apply to them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import NamedTuple

from .base import Hit


class Rule(NamedTuple):
    name: str
    source: str  # the regex, compiled on first use (importing this module compiles nothing)
    anchors: str
    direct: bool
    internal: bool
    cased: bool  # must see the original case ("DAN" the jailbreak, not "Dan" the colleague)

    @property
    def low(self) -> re.Pattern[str]:
        """The rule for the lower-cased text (faster than IGNORECASE)."""
        return _compiled(self.source, 0)

    @property
    def regex(self) -> re.Pattern[str]:
        """The same rule, case-insensitive, for the original text."""
        return _compiled(self.source, re.IGNORECASE)


# A hundred rules take ~40 ms to compile: done for each rule when its anchors first point to it,
# not at import (the console imports the detectors' types only, and shows stored findings).
_compiled = functools.cache(re.compile)


def _source(pattern: str) -> str:
    """A rule written with plain spaces (any whitespace) and plain apostrophes (' or ’)."""
    pattern = pattern.replace(" *", r"\s*").replace(" ?", r"\s?").replace(" ", r"\s+")
    return pattern.replace("'", "['’]")


_R: list[Rule] = []


def rule(
    name: str, pattern: str, anchors: str, *, direct: bool = True, internal: bool = True, cased: bool = False
) -> None:
    src = _source(pattern)
    _R.append(Rule(name, src, anchors, direct, internal, cased))


# shared vocabulary ----------------------------------------------------------------------------
_OVERRIDE_VERBS = (
    r"(?:ignore|disregard|forget|skip|bypass|override|overwrite|discard|abandon|neglect|set aside|"
    r"stop following|do not follow|don't follow|pay no attention to|throw out|throw away)"
)
_OVERRIDE_ANCHORS = "ignore,disregard,forget,skip,bypass,override,overwrite,discard,abandon,neglect,aside,follow,following,attention,throw"
_FILLER = (
    r"(?:all|any|every|each|the|your|these|those|its|previous|prior|preceding|above|earlier|"
    r"foregoing|initial|original|old|existing|current|system|developer|default|safety|given|other|of|"
    r"above-mentioned|aforementioned|former|past|last|first)"
)
_STRONG_OBJ = (
    r"(?:instructions?|directives?|guidelines?|prompts?|programming|guardrails?|system prompt|"
    r"system message|training|conditioning)"
)
_WEAK_OBJ = (
    r"(?:rules?|polic(?:y|ies)|restrictions?|constraints?|context|commands?|orders?|messages?|"
    r"guidance|configuration|settings|limitations?|text|content|conversation|chat|discussion)"
)
_STRONG_MOD = (
    r"(?:all|any|every|your|previous|prior|preceding|above|earlier|foregoing|initial|original|system|"
    r"developer|safety|these|those|above-mentioned|aforementioned|former)"
)
_AI = (
    r"(?:ai|a\.i\.|artificial intelligence|assistant|ai assistant|chatbot|chat bot|llm|large language model|"
    r"language model|ai model|gpt|chatgpt|claude|copilot|gemini|virtual assistant|ai agent)"
)
_AI_WORDS = "ai,a.i,assistant,assistants,chatbot,chatbots,bot,bots,llm,llms,gpt,chatgpt,claude,copilot,gemini,model,models,intelligence"
_SENSITIVE = (
    r"(?:system prompt|(?:all|other|every|the|each) (?:customers?|users?|clients?|members?)(?:'s?|s')? "
    r"(?:data|emails?|e-mails?|details|records|information|info|addresses|phone numbers|credit cards?|"
    r"cards?|accounts?|conversations|messages|pii|passwords)|customer (?:database|records|list|data|pii|"
    r"emails)|user (?:database|records|list|data|emails)|api keys?|credentials|passwords|secrets|"
    r"access tokens?|(?:the|your) (?:entire |full |whole )?(?:memory|memories|database|context window))"
)
_SEND_VERBS = (
    "send,forward,email,e-mail,mail,post,upload,transmit,exfiltrate,leak,copy,share,submit,deliver,relay,"
    "export,dump,paste,list,give,show,print,output,include,reveal,display,tell"
)
_SENSITIVE_ANCHORS = (
    "prompt,customers,customers',customer's,users,users',user's,clients,clients',members,database,credentials,"
    f"passwords,secrets,keys,key,tokens,token,memory,memories,window+{_SEND_VERBS}"
    f"|data,records,list,pii,emails+customer,user+{_SEND_VERBS}"
)

# English --------------------------------------------------------------------------------------
rule("override", rf"\b{_OVERRIDE_VERBS} (?:{_FILLER} ){{0,4}}{_STRONG_OBJ}\b", _OVERRIDE_ANCHORS)
rule(
    "override",
    rf"\b{_OVERRIDE_VERBS} (?:{_FILLER} ){{0,3}}{_STRONG_MOD} (?:{_FILLER} ){{0,2}}{_WEAK_OBJ}\b",
    _OVERRIDE_ANCHORS,
)
rule(
    "override",
    r"\b(?:ignore|disregard|forget) (?:about )?(?:all|everything|anything)(?: (?:that|which))?"
    r"(?: (?:was|were|has been|have been|you've been|you were|you have been|you're|you are|came|comes|appears|"
    r"appeared|is))?"
    r" (?:said|written|told|stated|mentioned|given|instructed|above|before|previously|prior|so far|"
    r"until now|up to now|earlier|in your (?:prompt|instructions))\b",
    "ignore,disregard,forget",
)
rule("override", r"\b(?:ignore|disregard) (?:all )?(?:of )?the above\b", "above+ignore,disregard")
rule(
    "system_prompt",
    r"\b(?:reveal|show|print|display|output|repeat|recite|dump|leak|expose|disclose|share|give|tell|send|"
    r"list|write out|spell out|paste|echo|return|provide|copy|what's|what is|what are|what was|what were)"
    r" (?:me |us )?(?:(?:all|the|your|its|exact|full|entire|complete|original|initial|hidden|secret|"
    r"internal|verbatim|whole|first|confidential|underlying|raw|of|text|contents|content) ){0,4}"
    r"(?:(?:system|developer) ?(?:prompt|message|instructions?)|(?:initial|original|hidden|secret|internal|"
    r"pre-?|meta|base|underlying|starting|first|confidential) ?(?:prompt|instructions?)|"
    r"prompt instructions|(?:your|the) prompt)\b",
    "prompt,prompts,instructions,instruction,preprompt,pre-prompt,systemprompt|message+system,developer",
)
rule(
    "system_prompt",
    r"\b(?:reveal|print|dump|leak|expose|disclose|recite|output|repeat|show me|tell me|what are)"
    r" (?:all )?(?:of )?your (?:exact |full |original |initial |hidden |secret |internal |actual |real )?"
    r"(?:instructions|programming|directives|configuration|system settings)\b",
    "instructions,programming,directives,configuration|settings+system",
)
rule(
    "system_prompt",
    r"\b(?:reveal|print|dump|leak|expose|disclose|recite) (?:all )?(?:of )?your (?:\w+ )?(?:guidelines|rules)\b",
    "reveal,print,dump,leak,expose,disclose,recite",
)
rule(
    "system_prompt",
    r"\b(?:repeat|print|output|recite|copy|reproduce|write out|echo|translate|reveal)"
    r" (?:back )?(?:all |everything |(?:all )?(?:of )?the (?:text|words|content|lines|sentences|instructions) )"
    r"(?:(?:written|that (?:appears?|came|comes|is|are|was|were)) )?(?:above|before this|preceding|prior to this)\b",
    "above,preceding,prior|before+this",
)
rule(
    "system_prompt",
    r"\b(?:starting|beginning|start|begin) (?:your (?:answer|reply|response) )?with (?:\"|'|“)?you are\b",
    "starting,beginning,start,begin+with",
)
rule(
    "system_prompt",
    r"\bwhat (?:were you told|instructions (?:were you given|did you (?:get|receive))|did (?:your|the) "
    r"(?:developers?|creators?|operators?) (?:tell|instruct) you)\b",
    "told,given,receive,get,tell,instruct+what",
)
rule(
    "system_prompt",
    r"\b(?:your|the) (?:system |initial |original |hidden )?prompt (?:say|says|contain|contains|state|states)\b|"
    r"\bquote (?:it|your (?:prompt|instructions)) (?:exactly|verbatim|word for word)\b",
    "prompt|quote",
)
rule(
    "system_prompt",
    r"\bwhat (?:your|the) (?:developers?|creators?|operators?|company|makers?|admins?) (?:instructed|told|asked|"
    r"programmed|trained) you\b",
    "instructed,told,asked,programmed,trained+what",
)
rule(
    "system_prompt",
    r"\b(?:start|begin) your (?:reply|response|answer|output) with (?:\"|'|“)?(?:sure|certainly|absolutely|"
    r"of course|here is|here's|yes)\b",
    "start,begin+reply,response,answer,output",
)
rule("roleplay", r"\bdo anything now\b", "anything+now")
rule(
    "roleplay",
    r"\b(?:you will|you'll|you must|you shall|you are going to|you're going to) (?:now )?(?:act|behave|respond|"
    r"roleplay|role-play|pretend|function|operate) as\b",
    "act,behave,respond,roleplay,role-play,pretend,function,operate+will,you'll,must,shall,going",
)
rule(
    "roleplay",
    r"\b(?:act as|simulate|emulate|pretend to be|behave like|you are|you're) (?:a |an )?(?:linux |unix |bash |"
    r"windows |powershell )?(?:terminal|shell|command line|sql database|python interpreter|root console)\b",
    "terminal,shell,interpreter,database+act,simulate,emulate,pretend,behave,you,you're",
)
rule(
    "roleplay",
    r"\bif you (?:were|weren't|were not|didn't have to|did not have to) (?:not )?(?:bound by|restricted by|"
    r"limited by|constrained by|follow(?:ing)?) (?:your|any|the|its) (?:policies|rules|guidelines|restrictions|"
    r"programming|instructions)\b",
    "policies,rules,guidelines,restrictions,programming,instructions+if",
)
rule(
    "roleplay",
    r"\b(?:you are|you're|act as|be|become|pretend to be|roleplay as|role-play as|called|named|enable|"
    r"activate|jailbreak|as)\b[^.\n]{0,20}(?-i:\bDAN\b)|(?-i:\bDAN\b) (?:mode|prompt|jailbreak)\b",
    "dan",
    cased=True,
)
rule(
    "roleplay",
    r"\byou(?:'re| are) now (?:an? |in |no longer\b|free\b|unrestricted\b|unfiltered\b|uncensored\b|"
    r"jailbroken\b|evil\b|called\b|named\b|known as\b|going to (?:act|pretend|roleplay|role-play|be)\b|"
    r"my (?:new )?(?:assistant|slave|servant|master|ai)\b)",
    "now+you're,are",
)
rule(
    "roleplay",
    r"\byou (?:no longer have|have no more|are no longer bound by) (?:any )?(?:rules|restrictions|limits|limitations|"
    r"guidelines|filters|boundaries|instructions)\b",
    "longer,more+rules,restrictions,limits,limitations,guidelines,filters,boundaries,instructions",
)
rule(
    "roleplay",
    r"\bfrom now on,? you (?:are|will be|will act|act|must act|shall|will respond as|respond as|"
    r"will answer as|answer as|no longer|will ignore|must ignore|will pretend)\b",
    "now+from+on",
)
rule(
    "roleplay",
    r"(?<!don't\s)(?<!do\snot\s)(?<!stop\s)(?<!not\s)(?<!i\s)(?<!we\s)(?<!they\s)\bpretend (?:that )?(?:you(?:'re| are)|to be|you have no|"
    r"you don't have|you do not have|you can)\b",
    "pretend",
)
rule(
    "roleplay",
    r"\b(?:act|behave|respond|answer|reply|roleplay|role-play)(?: as if you (?:were|are|had|have) (?:an? )?"
    r"(?:no|unrestricted|unfiltered|uncensored|evil|jailbroken|free|without|different|not bound)|"
    r" as (?:an? |my )?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|amoral|unethical|"
    r"unbound|unlimited|different|hacked|rebel) (?:ai|assistant|model|chatbot|version|bot|entity|"
    r"character|persona|system))\b",
    "if+as|unrestricted,unfiltered,uncensored,jailbroken,evil,rogue,amoral,unethical,unbound,unlimited,hacked,"
    "rebel|different+act,behave,respond,answer,reply,roleplay,role-play",
)
rule(
    "roleplay",
    r"\b(?:let's|let us|we're going to|we are going to) (?:play a game|roleplay|role-play|play pretend)\b",
    "game,roleplay,role-play,pretend",
)
rule(
    "roleplay",
    r"\b(?:stay|remain) in character\b|\bopposite mode\b|\bevil (?:mode|twin|confidant)\b|"
    r"\b(?:act|pretend|roleplay|role-play) as my (?:deceased |late |dead )?grand(?:ma|mother|pa|father)\b",
    "character,opposite,evil,grandma,grandmother,grandpa,grandfather",
)
rule(
    "developer_mode",
    r"\b(?:developer|dev|god|sudo|admin|debug|maintenance|unrestricted|jailbreak|dan) mode"
    r" (?:is )?(?:now )?(?:enabled|activated|engaged|unlocked|on(?= *[.!,:;\n]| *$))",
    "developer,dev,god,sudo,admin,debug,maintenance,unrestricted,jailbreak,dan+mode",
)
rule(
    "developer_mode",
    r"\b(?:you(?:'re| are) (?:now )?(?:in|into|running in|operating in)|enter|activate|switch (?:to|into)|"
    r"turn on|simulate|emulate|act in) (?:the )?(?:developer|dev|god|sudo|jailbreak|dan|unrestricted) mode\b"
    r"(?! (?:on|in|for) (?:my|the|this|your|a) (?:phone|device|android|iphone|tablet|pc|laptop|computer|"
    r"tv|router|car|app|browser|settings|console|watch|printer|camera|chrome|windows|mac))",
    "developer,dev,god,sudo,jailbreak,dan,unrestricted+mode",
)
rule(
    "developer_mode",
    r"\benable (?:the )?(?:developer|dev|god|jailbreak|dan) mode\b"
    r"(?=[^?]{0,60}\b(?:you|your|yourself|assistant|respond|answer|output)\b)",
    "enable+mode",
)
rule(
    "developer_mode",
    r"\b(?:jailbreak|jailbroken) (?:mode|prompt|enabled|activated|version|ai|assistant|chatgpt|gpt|llm|"
    r"model|you|yourself)\b|\b(?:you(?:'re| are)|you've been|you have been) (?:now )?jailbroken\b",
    "jailbreak,jailbroken",
)
rule(
    "exfiltration",
    rf"\b(?:send|forward|email|e-mail|mail|post|upload|transmit|exfiltrate|leak|copy|share|submit|deliver|"
    rf"relay|export|dump|paste|list|give me|show me|print|output|include|reveal|display|tell me)"
    rf" (?:(?!my\b|me\b|our\b|us\b)\w+ ){{0,3}}?{_SENSITIVE}\b",
    _SENSITIVE_ANCHORS,
)
rule(
    "exfiltration",
    r"\b(?:send|forward|email|e-mail|post|upload|transmit|exfiltrate|leak|copy|submit|relay|export)"
    r" (?:(?!my\b|me\b)\w+ ){0,4}?(?:conversation|chat|transcript|history|messages|context|dialog(?:ue)?|"
    r"summary|contents?|data|details|file|answers?|responses?|replies)\b"
    r"[^.\n]{0,40}?\b(?:to|at|into|via) (?:https?://|www\.|(?:this|that|the following|an? external|"
    r"the external|attacker|my (?:server|webhook|endpoint|site|api))\b|[\w.\-]+\.(?:com|net|org|io|ru|cn|"
    r"xyz|info|biz|top|site|co)/)",
    "conversation,transcript,chat,history,messages,context,dialog,dialogue,summary,content,contents,data,details,"
    "file,answer,answers,response,responses,replies+send,forward,email,e-mail,post,upload,transmit,exfiltrate,leak,copy,submit,relay,export",
)
rule("exfiltration", r"!\[[^\]]{0,80}\]\(\s*https?://[^)\s]{1,300}?(?:\{|\[|<|%7b|\$\{?)", "~](")
rule(
    "exfiltration",
    r"\b(?:append|add|include|encode|insert|put|embed|attach)"
    r" (?:(?:the|their|its|any|all|every|each|this|user's|customer's|user|customer) ){1,3}"
    r"(?:emails?|data|conversation|chat|history|messages|summary|details|information|info|password|"
    r"secrets?|tokens?|names?|address(?:es)?|phone(?: numbers?)?|cards?|answers?|query|questions?|pii)"
    r" (?:\w+ ){0,3}(?:in|into|to|as) (?:the |this |a |an )?(?:url|link|query string|query parameter|"
    r"parameter|image (?:url|link|source)|request|webhook)\b",
    "url,link,parameter,webhook,query,request+append,add,include,encode,insert,put,embed,attach",
)
rule(
    "tool_abuse",
    r"\b(?:call|invoke|execute|trigger|run|fire|use) (?:the )?(?:`|\"|')?[a-z]+(?:_[a-z0-9]+)+(?:`|\"|')?"
    r" ?(?:\(|tools?\b|functions?\b|api\b|endpoint\b|action\b|with\b|for\b|on\b|to\b|now\b|immediately\b|and\b)",
    "~_",
)
rule(
    "tool_abuse",
    r"\b(?:call|invoke|execute|trigger) (?:the )?(?:refund|cancel|cancellation|delete|deletion|transfer|"
    r"payment|payout|admin|shell|email|grant|reset|update|wire|credit|withdraw|purchase|order)"
    r" ?(?:tools?\b|functions?\b|api\b|endpoint\b|action\b|\(|for\b)",
    "call,invoke,execute,trigger+refund,cancel,cancellation,delete,deletion,transfer,payment,payout,admin,"
    "shell,email,grant,reset,update,wire,credit,withdraw,purchase,order",
)
rule(
    "tool_abuse",
    r"\b(?:use|using) (?:the |your )?(?:\w+ ){0,2}(?:tools?|functions?|api|plugin) to (?:refund|cancel|"
    r"delete|transfer|send|email|grant|issue|wipe|export|dump|change|update|reset|approve)\b",
    "tool,tools,function,functions,api,plugin+use,using",
)
rule(
    "tool_abuse",
    r"\b(?:refund|cancel|delete|transfer|credit|email|grant|wipe|close|reset|deactivate)"
    r" (?:\w+ ){0,3}?(?:all|every|each) (?:customers?|users?|accounts?|members?|clients?)\b",
    "customers,customer,users,user,accounts,account,members,member,clients,client+all,every,each",
)
rule(
    "tool_abuse",
    r"(?:^|[.!?;:\n] *|\b(?:please|now|just|immediately|then|and) )(?:refund|issue|transfer|delete|execute|"
    r"grant|approve|process|wire|send|change|update|reset|unlock|remove|add)\b(?:[^.!?\n]|\.(?=\S)){0,80}?"
    r"\b(?:without|"
    r"skip(?:ping)?|bypass(?:ing)?|no need for) (?:any |the |an? )?(?:approval|confirmation|verification|"
    r"authori[sz]ation|human review|review(?:ing)?|manager|checks?|checking|verifying|confirming|asking|"
    r"permission|2fa|otp|identity check)",
    "without,skip,skipping,bypass,bypassing,need+approval,confirmation,verification,authorization,"
    "authorisation,review,reviewing,manager,check,checks,checking,verifying,confirming,asking,permission,2fa,otp,"
    "identity",
)
rule(
    "tool_abuse",
    r"\b(?:approve|issue|process|grant) (?:all|every|each) (?!my\b|our\b)(?:\w+ )?(?:refunds?|requests?|claims?|"
    r"refund requests|chargebacks)\b",
    "approve,issue,process,grant+all,every,each",
)
rule(
    "tool_abuse",
    r"\b(?:i|we) (?:hereby )?(?:authori[sz]e|permit|allow|instruct|order|command) you to (?:skip|bypass|ignore|"
    r"override|disable|reveal|disclose|waive|turn off)\b",
    "authorize,authorise,permit,allow,instruct,order,command+skip,bypass,ignore,override,disable,reveal,disclose,"
    "waive,turn",
)
rule(
    "tool_abuse",
    r"\byou (?:are|have been|were) (?:now )?(?:authori[sz]ed|approved|permitted|allowed|cleared) to"
    r" (?:refund|transfer|delete|issue|grant|cancel|bypass|access|override|wire|send|share|disclose|export)\b",
    "authorized,authorised,approved,permitted,allowed,cleared+you",
    internal=False,
)
_POLICY_VERBS = (
    r"(?:bypass|disable|turn off|deactivate|ignore|override|circumvent|switch off|get around|remove|lift|"
    r"drop|evade|break free (?:of|from)|escape|jailbreak)"
)
_POLICY_VERB_WORDS = "bypass,disable,turn,deactivate,ignore,override,circumvent,switch,get,remove,lift,drop,evade,break,escape,jailbreak"
rule(
    "policy_bypass",
    rf"\b{_POLICY_VERBS} (?:(?:all|any|your|its|the|of|these|those) ){{0,3}}"
    r"(?:safety |content |ethical |moral |security |openai |anthropic )?"
    r"(?:guardrails?|safeguards?|safety (?:measures|features|protocols|settings|guidelines|rules|training|"
    r"filters?)|content polic(?:y|ies)|moderation|censorship|alignment|programming|ethics|"
    r"ethical (?:guidelines|constraints|restrictions))\b",
    "guardrails,guardrail,safeguards,safeguard,safety,content,moderation,censorship,alignment,programming,"
    f"ethics,ethical+{_POLICY_VERB_WORDS}",
)
rule(
    "policy_bypass",
    rf"\b{_POLICY_VERBS} (?:(?:all|any|your|its|of) ){{1,3}}(?:the )?(?:safety |content |ethical |moral )?"
    r"(?:filters?|restrictions|limitations|rules|principles|constraints|limits|boundaries)\b",
    f"filters,filter,restrictions,limitations,rules,principles,constraints,limits,boundaries+{_POLICY_VERB_WORDS}",
)
rule(
    "policy_bypass",
    r"\b(?:an?|the) (?:ai|assistant|model|chatbot|bot|llm|version)(?: \w+)? (?:with|that has|which has|having)"
    r" (?:no|zero) (?:restrictions|limits|limitations|filters|rules|guidelines|censorship|boundaries)\b|"
    r"\b(?:your|all) (?:guardrails|safety (?:filters|features|settings|checks)|content filters?|restrictions|"
    r"filters|safeguards|safety checks) (?:are|is|have been|were) (?:now )?(?:off|disabled|removed|lifted|suspended|"
    r"deactivated|turned off)\b",
    "restrictions,limits,limitations,filters,rules,guidelines,censorship,boundaries,guardrails,safeguards,checks"
    "+no,zero,off,disabled,removed,lifted,suspended,deactivated",
)
rule(
    "policy_bypass",
    r"\b(?:answer|respond|reply|act|behave|operate|talk|speak|output|generate|write|you(?:'re| are) now|"
    r"you have|you'll|you will)\b[^.\n]{0,30}?\b(?:without|with no|free (?:of|from)|no longer (?:bound by|have))"
    r" (?:any )?(?:restrictions|limitations|filters|censorship|guardrails|rules|ethical \w+|moral\w*|"
    r"content polic\w+|safety \w+|limits)\b",
    "restrictions,limitations,filters,censorship,guardrails,rules,ethical,moral,morals,content,safety,limits"
    "+without,with,free,longer",
)
rule(
    "policy_bypass",
    r"\b(?:no|without(?: any)?|zero) (?:ethical|moral) (?:guidelines|constraints|restrictions|limits|boundaries|"
    r"principles|compass)\b|"
    r"\b(?:unfiltered|uncensored|unrestricted|unaligned) (?:ai|mode|response|answer|version|assistant|model|"
    r"output|chatbot|llm|persona)\b",
    "ethical,moral,unfiltered,uncensored,unrestricted,unaligned",
)
rule(
    "fake_delimiter",
    r"<\|(?:im_start|im_end|system|endoftext|start_header_id|end_header_id|eot_id|user|assistant)\|>|"
    r"\[/?inst\]|<</?sys>>",
    "~<|~[inst]|~[/inst]|~<<sys>>|~<</sys>>",
)
rule(
    "fake_delimiter",
    r"(?:^|\n|[.!?] ) *(?:#{1,4} *|\*\*|\[|<)? *(?:system|developer|admin(?:istrator)?|root|operator)"
    r"(?: (?:prompt|message))?(?: (?:message|override|note|instructions?|prompt|notice|update|command|change))?"
    r" *(?:\*\*|\]|>)? *: *"
    r"(?:you\b|ignore|disregard|forget|new\b|the (?:assistant|ai|model)|from now|override|all previous|"
    r"reveal|always|never|do not)",
    "system,developer,admin,administrator,root,operator,**system,**developer,##,###,#,[system],<system>",
)
rule(
    "fake_delimiter",
    r"</?(?:system|user|assistant|instructions?|admin|developer|context)>",
    "~<system|~</system|~<user>|~</user|~<assistant|~</assistant|~<instruction|~</instruction|~<admin|~</admin|"
    "~<developer|~</developer|~<context>|~</context",
)
rule(
    "fake_delimiter",
    rf"\b{_AI} *[,:] *(?:new|updated|important|additional) (?:rule|rules|instructions?|task|policy|directive)\b",
    f"{_AI_WORDS}+rule,rules,instruction,instructions,task,policy,directive",
)
rule(
    "fake_delimiter",
    r"\[(?:system|admin|developer|sys)(?: (?:message|note|override|prompt|instructions?))?\]",
    "~[system|~[admin|~[developer|~[sys",
)
rule(
    "fake_delimiter",
    r"\b(?:system|admin|developer|security|emergency) override(?: *[:!—-]| (?:mode|enabled|activated|engaged|"
    r"in effect|authori[sz]ed|granted))|\bbegin (?:admin|system|developer|new|secret|hidden) (?:message|"
    r"instructions?|prompt|override|section)\b",
    "override+system,admin,developer,security,emergency|begin",
)
rule(
    "fake_delimiter",
    r"\bend of (?:the )?(?:user )?(?:input|document|context|conversation|prompt|text|data)\b[^\n]{0,30}?"
    r"\b(?:new|real|actual|following|system|important|now)\b",
    "end+of+input,document,context,conversation,prompt,text,data",
)
rule(
    "fake_delimiter",
    r"\b(?:new|updated|real|actual|true|revised|important) (?:instructions|directives|system prompt|"
    r"objective|rules for (?:the )?(?:ai|assistant|model)) *(?:are|is|follow)? *:",
    "instructions,directives,prompt,objective,rules+new,updated,real,actual,true,revised,important",
    internal=False,
)
rule(
    "fake_delimiter",
    r"\byour (?:new|real|actual|true|only|updated) (?:task|objective|goal|purpose|role|instructions?|job|"
    r"mission|directive|persona) (?:is|are|will be|now)\b",
    "task,objective,goal,purpose,role,instruction,instructions,job,mission,directive,persona"
    "+new,real,actual,true,only,updated+your",
)
rule(
    "addressed_to_ai",
    rf"\b(?:note|message|instructions?|attention|reminder|important(?: notice)?|directive|memo|notice|"
    rf"warning|p\.?s\.?) (?:to|for) (?:the |any |all )?{_AI}s?\b",
    f"{_AI_WORDS}+note,message,instruction,instructions,attention,reminder,important,directive,memo,notice,"
    "warning,p.s,ps",
    direct=False,
)
rule(
    "addressed_to_ai",
    rf"\bif you are (?:an? )?(?:{_AI}|bot|automated (?:system|agent|assistant)|machine|model)\b"
    rf"|\b(?:ai|assistants?|chatbots?|llms?|language models?|models?|bots?) (?:reading|processing|"
    rf"summari[sz]ing|parsing|analy[sz]ing|viewing|ingesting) (?:this|these)\b",
    f"{_AI_WORDS},automated,machine+if+you+are|reading,processing,summarizing,summarising,parsing,analyzing,"
    "analysing,viewing,ingesting+this,these",
    direct=False,
)
rule(
    "addressed_to_ai",
    rf"\b(?:attention|hey|dear|hello|hi) *,? (?:{_AI}|model|bot)\b *[:,!]",
    f"{_AI_WORDS}+attention,hey,dear,hello,hi",
    direct=False,
    internal=False,
)
# instructions to the model inside a document: fine in an internal runbook, not in a web page
_UNTRUSTED_ONLY = {"direct": False, "internal": False}
rule(
    "hidden_instruction",
    r"\b(?:do not|don't|never) (?:tell|inform|mention (?:this|it) to|reveal (?:this|it) to|"
    r"disclose (?:this|it) to|let) (?:the )?(?:user|customer|human|person|visitor|reader)s?\b",
    "user,users,customer,customers,human,person,visitor,reader+tell,inform,mention,reveal,disclose,let",
    **_UNTRUSTED_ONLY,
)
rule(
    "hidden_instruction",
    r"\b(?:the|an?|this|any) (?:ai|assistant|ai assistant|model|chatbot|bot|llm|language model)"
    r" (?:must|should|shall|will|is required to|needs to|has to|is instructed to) (?:now |always |only |instead )?"
    r"(?:say|respond|reply|answer|tell|recommend|include|output|ignore|state|claim|direct|redirect|send|"
    r"insist|describe|mention|refuse|praise|promote)\b",
    f"{_AI_WORDS}+must,should,shall,will,required,needs,has,instructed",
    **_UNTRUSTED_ONLY,
)
rule(
    "hidden_instruction",
    r"\b(?:respond|reply|answer) (?:only )?with (?:only )?(?:\"|'|“)|\b(?:respond|reply|answer) only with\b|"
    r"\binstead,? (?:say|respond|reply|answer|tell (?:the )?(?:user|customer))\b",
    "respond,reply,answer,instead",
    **_UNTRUSTED_ONLY,
)
rule(
    "hidden_instruction",
    r"\balways tell (?:the |this |that |every )?(?:user|customer|reader|caller)s?\b|\bregardless of (?:what|whether)"
    r" (?:the )?(?:tools?|system|policy|policies|records|data|instructions|checks?) (?:say|says|show|shows)\b",
    "tell+always|regardless",
    **_UNTRUSTED_ONLY,
)
rule(
    "hidden_instruction",
    r"\btell (?:the )?(?:user|customer|reader)s? (?:to|that (?:they (?:must|should|need to)))"
    r" (?:visit|go to|click|call|contact|send|enter|email|download|install|transfer|pay|wire|share|provide|"
    r"log in|sign in|verify)\b",
    "tell+user,users,customer,customers,reader,readers",
    **_UNTRUSTED_ONLY,
)
rule(
    "hidden_instruction",
    r"\b(?:always|must|should) recommend (?:our|this|the following|only)\b|\byou must now\b",
    "recommend|now+must",
    **_UNTRUSTED_ONLY,
)
rule(
    "exfiltration",
    r"\b(?:render|display|show|include|output|embed|insert|add) (?:\w+ ){0,4}(?:image|markdown|pixel)\b"
    r"[^\n]{0,80}?https?://[^\s)]*[?&]\w+=",
    "image,markdown,pixel",
    **_UNTRUSTED_ONLY,
)

# Spanish --------------------------------------------------------------------------------------
rule(
    "override",
    r"\b(?:ignora|ignore|ignorad|ignoren|olvida|olvide|olvidad|olviden|omite|omita|descarta|descarte|"
    r"haz caso omiso (?:de|a)|no hagas caso (?:de|a)) (?:(?:todas?|todos|las|los|tus|sus|de|el|la|cualquier) ){0,3}"
    r"(?:instrucciones|indicaciones|directrices|órdenes|ordenes|prompt|(?:reglas|normas) (?:anteriores|previas|"
    r"del sistema))\b",
    "instrucciones,indicaciones,directrices,órdenes,ordenes,prompt,reglas,normas",
)
rule(
    "override",
    r"\bolvida(?:r)? todo lo que (?:te|le) (?:dijeron|han dicho|dije|indicaron)\b",
    "olvida,olvidar+todo",
)
rule(
    "system_prompt",
    r"\b(?:revela|revele|muestra|muestre|muéstrame|muestrame|dime|imprime|repite|escribe|cuál es|cual es)"
    r" (?:\w+ ){0,3}(?:prompt|mensaje|instrucciones) (?:del|de) sistema\b|\b(?:tu|el|su) prompt (?:del sistema|"
    r"inicial|original|oculto)\b|\b(?:revela|muestra|muéstrame|repite) tus instrucciones\b",
    "sistema,prompt|instrucciones+tus",
)
rule(
    "roleplay",
    r"\bahora eres (?:un|una|el|la|dan|libre|mi)\b|\b(?:a partir de ahora|desde ahora) *,? (?:eres|serás|"
    r"actúa|actuarás|responde|responderás|ignora|no tienes)\b|\bfinge (?:que eres|ser)\b|"
    r"\bhaz de cuenta que eres\b|\bactúa como (?:si no tuvieras|un[a]? (?:ia|ai|asistente|modelo) sin)\b",
    "eres+ahora|ahora+partir,desde|finge|cuenta+haz|actúa",
)
rule("developer_mode", r"\bmodo (?:desarrollador|dios|sin restricciones|dan|desenvolvedor)\b", "modo")
rule(
    "policy_bypass",
    r"\b(?:responde|contesta|actúa|habla|escribe)\b[^.\n]{0,30}?\bsin (?:ninguna |ningún )?(?:restricci[oó]n(?:es)?|"
    r"filtros?|censura|límites?|reglas?)\b",
    "restricciones,restricción,restriccion,filtros,filtro,censura,límites,límite,reglas,regla+sin",
)
rule(
    "exfiltration",
    r"\b(?:envía|envia|envíe|envie|manda|mande|reenvía|reenvia) (?:\w+ ){0,3}(?:conversación|conversacion|"
    r"historial|datos de (?:los )?clientes|prompt del sistema|contraseñas) (?:\w+ )?a (?:https?://|\S+@|"
    r"este (?:enlace|url|correo|servidor))",
    "envía,envia,envíe,envie,manda,mande,reenvía,reenvia",
)

# French ---------------------------------------------------------------------------------------
rule(
    "override",
    r"\b(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|néglige|négligez|ne tiens pas compte|ne tenez pas compte)"
    r" (?:(?:de |des |toutes |tous |les |tes |vos |ses |ces |d'|toutes les |tous les ))*"
    r"(?:instructions?|consignes?|directives?|prompt|règles (?:précédentes|antérieures|du système))\b",
    "ignore,ignorez,ignorer,oublie,oubliez,oublier,néglige,négligez,compte",
)
rule(
    "override",
    r"\boublie(?:z)? tout ce (?:qu'on (?:t'a|vous a)|que (?:l'on|on) (?:t'a|vous a)) (?:dit|demandé|appris)|"
    r"\bignore(?:z)? tout ce qui précède\b",
    "oublie,oubliez,ignore,ignorez+tout",
)
rule(
    "system_prompt",
    r"\b(?:révèle|révélez|montre|montrez|affiche|affichez|donne|donnez|répète|répétez|dis|dites|écris|écrivez)"
    r"(?:-moi| moi)? (?:\w+ ){0,3}(?:prompt|message|instructions?|consignes) (?:système|du système|"
    r"initia(?:l|les?)|d'origine|cachée?s?)\b",
    "système,initial,initiales,initiale,cachées,cachée,caché,cachés,d'origine,origine",
)
rule(
    "roleplay",
    r"\btu es (?:maintenant|désormais|dorénavant) (?:un|une|le|la|dan|libre|mon)\b|\bvous êtes (?:maintenant|"
    r"désormais|dorénavant) (?:un|une|le|la|dan|libre)\b|\bà partir de maintenant *,? (?:tu es|vous êtes|"
    r"tu vas|agis|réponds|ignore)\b|\bfais semblant d'être\b|\bfaites semblant d'être\b",
    "maintenant,désormais,dorénavant,semblant",
)
rule("developer_mode", r"\bmode (?:développeur|developpeur|dieu|sans restrictions?|dan)\b", "mode")
rule(
    "exfiltration",
    r"\b(?:envoie|envoyez|transmets|transmettez|transférez|transfère) (?:\w+ ){0,3}(?:conversation|historique|"
    r"données (?:des )?clients|prompt système|mots de passe) (?:\w+ )?à (?:https?://|\S+@|cette (?:adresse|url))",
    "envoie,envoyez,transmets,transmettez,transférez,transfère",
)

# German ---------------------------------------------------------------------------------------
rule(
    "override",
    r"\b(?:ignoriere|ignorier|ignorieren sie|vergiss|vergessen sie|missachte|missachten sie|übergehe)"
    r" (?:(?:alle|alles|deine|ihre|die|den|das|bisherigen|vorherigen|vorigen|obigen|früheren|vorhergehenden|"
    r"ursprünglichen|sämtliche) ){0,3}(?:anweisungen|instruktionen|befehle|vorgaben|richtlinien|anordnungen|"
    r"prompts?|systemanweisungen|systemprompt|regeln)\b|\bvergiss alles(?:,)? (?:bisher|vorher|oben|was (?:dir|man))",
    "ignoriere,ignorier,ignorieren,vergiss,vergessen,missachte,missachten,übergehe",
)
rule(
    "system_prompt",
    r"\b(?:zeig|zeige|zeigen sie|gib|geben sie|verrate|verraten sie|nenne|wiederhole|drucke|schreib|schreibe)"
    r" (?:mir )?(?:\w+ ){0,3}(?:system-?prompt|systemanweisungen|systemnachricht|anfangsanweisungen|"
    r"ursprünglichen anweisungen|versteckten anweisungen|geheimen anweisungen)\b",
    "systemprompt,system-prompt,systemanweisungen,systemnachricht,anfangsanweisungen,anweisungen",
)
rule(
    "roleplay",
    r"\bdu bist (?:jetzt|nun|ab sofort|ab jetzt) (?:ein|eine|der|die|dan|frei|mein|kein)\b|\bab (?:jetzt|sofort)"
    r" *,? (?:bist du|du bist|antwortest du|handelst du|ignorierst du)\b|\btu so,? als (?:ob|wärst) du\b",
    "bist+jetzt,nun,sofort|ab+jetzt,sofort|tu+so",
)
rule(
    "developer_mode",
    r"\b(?:entwicklermodus|entwickler-modus|gott-?modus)\b",
    "entwicklermodus,entwickler-modus,gottmodus,gott-modus",
)
rule(
    "exfiltration",
    r"\b(?:sende|schicke|schick|übermittle|leite) (?:\w+ ){0,3}(?:gespräch|unterhaltung|verlauf|chatverlauf|"
    r"kundendaten|systemprompt|passwörter) (?:\w+ )?an (?:https?://|\S+@|diese (?:adresse|url))",
    "sende,schicke,schick,übermittle,leite",
)

# Italian, Portuguese, Dutch, Polish, Turkish ---------------------------------------------------
rule(
    "override",
    r"\b(?:ignora|ignorate|dimentica|dimenticate|trascura) (?:(?:tutte|tutti|le|tue|sue|i|gli|precedenti) ){0,3}"
    r"(?:istruzioni|indicazioni|direttive|prompt)\b",
    "istruzioni,indicazioni,direttive+ignora,ignorate,dimentica,dimenticate,trascura",
)
rule(
    "system_prompt",
    r"\b(?:rivela|mostra|mostrami|dimmi|ripeti|stampa) (?:\w+ ){0,3}(?:prompt|messaggio|istruzioni)"
    r" (?:di|del) sistema\b",
    "sistema",
)
rule(
    "roleplay",
    r"\b(?:ora|adesso|da ora in poi) *,? (?:tu )?sei (?:un|una|il|la|dan|libero|libera)\b|"
    r"\bmodalità (?:sviluppatore|dio|dan)\b",
    "sei+ora,adesso|modalità",
)
rule(
    "override",
    r"\b(?:ignore|ignora|ignorem|esqueça|esqueca|esquece|desconsidere|desconsidera)"
    r" (?:(?:todas|todos|as|os|suas|tuas|seu|teu|de|das|dos) ){0,3}(?:instruções|instrucoes|diretrizes|"
    r"orientações|prompt)\b",
    "instruções,instrucoes,diretrizes,orientações",
)
rule(
    "system_prompt",
    r"\b(?:revele|revela|mostre|mostra|me mostre|diga|repita|imprima) (?:\w+ ){0,3}(?:prompt|mensagem|"
    r"instruções) (?:do|de) sistema\b",
    "sistema",
)
rule(
    "roleplay",
    r"\bagora (?:você|voce|tu) (?:é|e|és) (?:um|uma|o|a|dan|livre)\b|\ba partir de agora,? (?:você|voce) (?:é|vai)\b",
    "agora",
)
rule(
    "override",
    r"\b(?:negeer|vergeet) (?:(?:alle|al|je|jouw|de|het|vorige|eerdere|bovenstaande) ){0,3}(?:instructies|"
    r"aanwijzingen|opdrachten|prompt|regels)\b",
    "negeer,vergeet",
)
rule(
    "roleplay",
    r"\bje bent nu (?:een|de|het|dan|vrij)\b|\bontwikkelaarsmodus\b|\b(?:toon|laat|geef) (?:me |mij )?"
    r"(?:\w+ ){0,2}(?:systeemprompt|systeeminstructies)\b",
    "bent+nu|ontwikkelaarsmodus,systeemprompt,systeeminstructies",
)
rule(
    "override",
    r"\bzignoruj (?:\w+ ){0,2}(?:instrukcje|polecenia|zasady)\b|\bönceki (?:tüm )?talimatları"
    r" (?:yok say|görmezden gel|unut)",
    "zignoruj,talimatları",
)

# Russian, Chinese, Japanese, Korean -----------------------------------------------------------
rule(
    "override",
    r"\b(?:игнорируй|игнорируйте|забудь|забудьте|проигнорируй|проигнорируйте)"
    r" (?:(?:все|всё|свои|твои|ваши|предыдущие|прежние|вышеуказанные|системные) ){0,3}(?:инструкции|указания|"
    r"правила|команды|промпт)",
    "игнорируй,игнорируйте,забудь,забудьте,проигнорируй,проигнорируйте",
)
rule(
    "roleplay",
    r"\bты теперь\b|\b(?:покажи|выведи|раскрой|повтори) (?:\w+ ){0,2}(?:системный промпт|системные инструкции)|"
    r"\bрежим разработчика\b",
    "теперь|промпт,инструкции|разработчика",
)
rule(
    "override",
    r"(?:忽略|无视|忘记|忘掉|不要理会|不要理睬)(?:掉)?(?:你)?(?:之前|以上|上面|先前|前面|所有|全部|你的|原来|原有)"
    r"(?:的)?(?:所有|全部)?(?:的)?(?:指令|指示|说明|规则|提示|设定|要求)",
    "*",
)
rule(
    "system_prompt",
    r"(?:显示|告诉我|输出|重复|泄露|透露|打印|给我看)(?:一下)?(?:你的)?(?:系统提示|系统指令|初始指令|提示词|系统设定)",
    "*",
)
rule("roleplay", r"你现在是|从现在开始你(?:是|将)|开发者模式", "*")
rule(
    "override",
    r"(?:以前|前|上記|これまで|今まで)の(?:すべての|全ての)?(?:指示|命令|ルール|プロンプト)を(?:すべて|全て)?(?:無視|忘れ)",
    "*",
)
rule("system_prompt", r"システムプロンプトを(?:表示|教え|出力|見せ)|開発者モード|あなたは今から", "*")
rule(
    "override",
    r"이전\s*(?:의\s*)?(?:모든\s*)?(?:지시|명령|지침|규칙)(?:을|를|사항을)?\s*(?:무시|잊어)|시스템\s*프롬프트를?\s*(?:보여|알려|출력)|"
    r"개발자\s*모드",
    "*",
)

RULES: tuple[Rule, ...] = tuple(_R)

# -- the anchor index --------------------------------------------------------------------------

# split() leaves punctuation on words ("instructions." "(ignore"): the index lists every anchor
# word with the punctuation a sentence puts around it, so a set lookup still finds it.
_LEADING = tuple("\" ' ( [ * ** “ ‘ « ¿ ¡ ` - _ >".split())  # noqa: SIM905
_TRAILING = tuple('. , ! ? : ; " \' ) ] * ** ” ’ » … ` - _ ." ," ?" !" .” ,” ... ?! !! ): ). ),'.split())  # noqa: SIM905
_MAX_HITS = 32  # per string: the first few say it all, thousands would only flood the store
_HINT = re.compile(r"[\[<_\]]")  # the first characters of the substring anchors
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


class _Index(NamedTuple):
    first: frozenset[str]  # spellings of every alternative's first-part words
    words: frozenset[str]  # spellings of every anchor word
    base: dict[str, str]  # spelling -> word
    by_first: dict[str, tuple[tuple[int, tuple[frozenset[str], ...]], ...]]
    substrings: tuple[tuple[str, tuple[int, ...]], ...]
    cjk: tuple[int, ...]


def _spellings(word: str) -> set[str]:
    forms = {word, word.replace("'", "’")}
    out = set(forms)
    for f in forms:
        out.update(p + f for p in _LEADING)
        out.update(f + s for s in _TRAILING)
    return out


def _build(applies: Callable[[Rule], bool]) -> _Index:
    by_first: dict[str, list[tuple[int, tuple[frozenset[str], ...]]]] = {}
    substrings: dict[str, list[int]] = {}
    cjk: list[int] = []
    words: set[str] = set()
    firsts: set[str] = set()
    for i, r in enumerate(RULES):
        if not applies(r):
            continue
        for alt in r.anchors.split("|"):
            if alt == "*":
                cjk.append(i)
            elif alt.startswith("~"):
                substrings.setdefault(alt[1:], []).append(i)
            else:
                parts = [frozenset(p.split(",")) for p in alt.split("+")]
                words.update(*parts)
                firsts.update(parts[0])
                for w in parts[0]:
                    by_first.setdefault(w, []).append((i, tuple(parts[1:])))
    base = {s: w for w in words for s in _spellings(w)}
    return _Index(
        first=frozenset(s for s, w in base.items() if w in firsts),
        words=frozenset(base),
        base=base,
        by_first={w: tuple(v) for w, v in by_first.items()},
        substrings=tuple((s, tuple(v)) for s, v in substrings.items()),
        cjk=tuple(cjk),
    )


_INDICES: tuple[_Index, _Index, _Index] | None = None  # direct, untrusted, internal: built on first use


def _indices() -> tuple[_Index, _Index, _Index]:
    """The three anchor indices (~45 ms to build, so not at import). Two threads racing here
    both build the same thing; either result is kept."""
    global _INDICES
    if _INDICES is None:
        _INDICES = (_build(lambda r: r.direct), _build(lambda r: True), _build(lambda r: r.internal))
    return _INDICES


def _candidates(index: _Index, text: str, low: str) -> set[int]:
    tokens = low.split()
    found: set[int] = set()
    if not index.first.isdisjoint(tokens):
        present = {index.base[t] for t in index.words.intersection(tokens)}
        for w in present:
            for i, rest in index.by_first.get(w, ()):
                if all(not part.isdisjoint(present) for part in rest):
                    found.add(i)
    if _HINT.search(low) is not None:
        for sub, rules in index.substrings:
            if sub in low:
                found.update(rules)
    if index.cjk and not text.isascii() and _CJK.search(text):
        found.update(index.cjk)
    return found


def find_injections(
    text: str, low: str | None = None, *, indirect: bool, internal: bool = False
) -> list[Hit]:
    """Injection attempts in ``text`` (``low`` is ``text.lower()`` if the caller has it already).

    One hit per matching span, ``detail`` naming the rule.
    """
    direct, untrusted, internal_ = _INDICES or _indices()
    index = (internal_ if internal else untrusted) if indirect else direct
    if low is None:
        low = text.lower()
    candidates = _candidates(index, text, low)
    if not candidates:
        return []
    same_offsets = len(low) == len(text)  # lower() can lengthen a few characters ("İ")
    out: list[Hit] = []
    taken: list[tuple[int, int]] = []
    kind = "indirect" if indirect else "direct"
    for i in sorted(candidates):
        r = RULES[i]
        target, regex = (low, r.low) if same_offsets and not r.cased else (text, r.regex)
        for m in regex.finditer(target):
            if len(out) >= _MAX_HITS:
                break
            s, e = m.span()
            if e > s and all(e <= a or s >= b for a, b in taken):
                taken.append((s, e))
                out.append(
                    Hit("injection", kind, s, e, low[s:e] if same_offsets else m.group(0).lower(), r.name)
                )
    out.sort(key=lambda h: h.start)
    return out
