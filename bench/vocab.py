"""Word lists for the synthetic crawl: real English words by class, most frequent first."""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


# Each list is ordered roughly by frequency in news prose; the generator draws from it with
# Zipf weights, so the first words dominate and the tail is rare, as in real text.

DETERMINERS = _words("the a this that their its his her our every another one some each no")

PREPOSITIONS = _words(
    "in of on for with at from by against after during under over across into since before "
    "without through about between near outside toward among despite amid behind beyond"
)

CONJUNCTIONS = _words("and but while as although because until when after whereas")

ADVERBS = _words(
    "also now still reportedly openly immediately repeatedly already later quickly publicly "
    "illegally peacefully allegedly recently again widely strongly largely officially directly "
    "eventually briefly formally quietly sharply finally initially narrowly firmly"
)

NOUNS = _words(
    "people year state police party law war land city vote day time court power rights "
    "government president country congress protest election "
    "military coup minister policy crisis support opposition leader movement "
    "workers regime media economy sanctions report campaign democracy army "
    "border trade water community region prison trial judge corruption violence "
    "protesters citizens elections members office security peace investigation decision "
    "parliament constitution activists journalists farmers students teachers union families "
    "children women health food prices debt banks companies oil gas mining forest river "
    "streets capital province assembly declaration statement interview agreement meeting "
    "history month week morning night plan program reform budget tax salaries "
    "wages jobs strike march rally demonstration blockade curfew emergency ambassador embassy "
    "alliance bloc summit treaty negotiations talks ceasefire troops soldiers officers "
    "commander prosecutor lawyer defense charges evidence sentence detention arrest release "
    "verdict appeal hearing ruling motion impeachment vacancy dissolution referendum poll "
    "majority minority coalition candidate campaigners organizers residents neighbors "
    "hospital school university church market factory port airport highway bridge "
    "pipeline dam reserve territory village valley coast island mountains desert "
    "agency ministry department commission council committee board network station "
    "newspaper broadcaster website platform account message letter petition lawsuit "
    "scandal bribery fraud contract deal loan aid funding grant donation spending deficit "
    "inflation currency exports imports harvest drought flood fire storm earthquake "
    "climate energy electricity fuel transport housing rent eviction homelessness poverty "
    "hunger migration refugees asylum deportation visa passport census survey data figures"
)

VERBS = _words(
    "said led took met won held called backed made cut "
    "announced condemned declared rejected supported ordered arrested removed demanded "
    "released accused denied launched approved blocked claimed warned reported "
    "organized joined opposed signed voted killed wounded overthrew imprisoned expressed "
    "described revealed confirmed argued promised threatened faced lost "
    "gave sent left began continued raised defended criticized urged "
    "questioned investigated charged detained freed replaced appointed dismissed suspended "
    "extended postponed cancelled restored recognized ignored celebrated mourned marched "
    "gathered occupied surrounded attacked targeted silenced censored published leaked "
    "documented exposed challenged resisted survived escaped returned visited welcomed "
    "hosted negotiated proposed drafted passed vetoed funded privatized nationalized "
    "expanded reduced doubled tripled increased lowered seized confiscated destroyed built "
    "repaired closed opened shut convened dissolved elected nominated endorsed"
)

ADJECTIVES = _words(
    "new old former top key local public elected "
    "national political military economic social unelected "
    "left-wing right-wing popular independent corrupt violent peaceful brutal indigenous rural "
    "international foreign federal official recent massive historic constitutional "
    "democratic authoritarian illegal legal legislative judicial regional central general "
    "major serious deep long short large small strong weak poor rich young senior "
    "interim provisional transitional temporary permanent critical urgent severe "
    "controversial unprecedented widespread growing mounting deadly bloody fragile unstable "
    "divided united radical moderate conservative progressive liberal neoliberal socialist "
    "far-right far-left grassroots mainstream corporate private environmental agricultural "
    "industrial financial diplomatic humanitarian medical educational cultural religious"
)

NUMBERS = _words(
    "two three four five six seven dozens hundreds thousands tens millions several many "
    "eighteen twelve forty fifty"
)

MONTHS = _words(
    "January February March April May June July August September October November December"
)

ROLES = _words(
    "President Minister Senator Governor Mayor General Judge Colonel Ambassador Commander "
    "Secretary Prosecutor Congressman Deputy"
)

# Syllables for invented proper names and for the rare tail of the noun vocabulary.
SYLLABLES = _words(
    "ca sti llo pe dro bo lu ar te ma ri na ko re sa ta mo ra li ve zu ela an da hu ay "
    "las qui to ga bri el fu ji ki gu ra ne po ce lo vi ra sol mi ran ton del gar cia mor "
    "les ben nor har ris tra ore dam ba ran ka kha im zan go lin var ne sur bel tor"
)

TOPIC_NOUNS = _words(
    "Coup Protests Elections Sanctions Strike Crisis Resistance Occupation Reform Border "
    "Prisoners Drought Water Mining Debt Land Media Climate Housing Labor"
)

SPAM_LINES = (
    "assetto corsa mods",
    "best free vpn 2023",
    "cheap replica watches online",
    "gta 5 mod menu download",
    "buy instagram followers fast",
    "fifa coins generator no survey",
    "free robux codes",
    "casino bonus no deposit",
    "minecraft shaders pack",
    "forex signals telegram",
    "ps5 emulator apk",
    "windows 11 activator",
)
