"""The unit ids Grafana's value formatter knows (Standard options > Unit), and its custom-unit syntax.

Written from Grafana's unit picker (packages/grafana-data valueFormats); a unit
Grafana does not know is drawn as a bare number, so it is as good as no unit.
"""

from __future__ import annotations

# Grafana's custom units: "suffix:req", "prefix:$", "si:B", "count:rows", "currency:EUR", "time:HH:mm".
CUSTOM_UNIT_PREFIXES = ("suffix:", "prefix:", "si:", "count:", "currency:", "time:")

_BY_CATEGORY = {
    "misc": "none string short sishort percent percentunit humidity dB candela hex0x hex sci locale pixel",
    "acceleration": "accMS2 accFS2 accG",
    "angle": "degree radian grad arcmin arcsec",
    "area": "areaM2 areaF2 areaMI2",
    "boolean": "bool bool_yes_no bool_on_off",
    "computation": "flops mflops gflops tflops pflops eflops zflops yflops",
    "concentration": (
        "ppm conppb conngm3 conngNm3 conμgm3 conμgNm3 conmgm3 conmgNm3 congm3 congNm3 conmgdL conmmolL"
    ),
    "currency": (
        "currencyUSD currencyGBP currencyEUR currencyJPY currencyRUB currencyUAH currencyBRL currencyDKK "
        "currencyISK currencyNOK currencySEK currencyCZK currencyCHF currencyPLN currencyBTC currencymBTC "
        "currencyμBTC currencyZAR currencyINR currencyKRW currencyIDR currencyPHP currencyVND currencyTRY "
        "currencyMYR currencyXPF currencyBGN currencyPYG currencyUYU currencyILS"
    ),
    "data": (
        "bytes decbytes bits decbits kbytes deckbytes mbytes decmbytes gbytes decgbytes tbytes dectbytes "
        "pbytes decpbytes"
    ),
    "data rate": (
        "pps binBps Bps binbps bps KiBs Kibits KBs Kbits MiBs Mibits MBs Mbits GiBs Gibits GBs Gbits "
        "TiBs Tibits TBs Tbits PiBs Pibits PBs Pbits"
    ),
    "date and time": (
        "dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS dateTimeAsUSNoDateIfToday dateTimeAsLocal "
        "dateTimeAsLocalNoDateIfToday dateTimeAsSystem dateTimeFromNow"
    ),
    "energy": (
        "watt kwatt megwatt gwatt mwatt Wm2 voltamp kvoltamp voltampreact kvoltampreact watth watthperkg "
        "kwatth kwattm mwatth amph kamph mamph joule ev amp kamp mamp volt kvolt mvolt dBm mwatt ohm kohm "
        "Mohm farad µfarad nfarad pfarad ffarad henry mhenry µhenry lumens"
    ),
    "flow": "flowgpm flowcms flowcfs flowcfm litreh flowlpm flowmlpm lux",
    "force": "forceNm forcekNm forceN forcekN",
    "hash rate": "Hs KHs MHs GHs THs PHs EHs",
    "mass": "massmg massg masslb masskg masst",
    "length": "lengthmm lengthin lengthft lengthm lengthkm lengthmi",
    "pressure": (
        "pressurembar pressurebar pressurekbar pressurepa pressurehpa pressurekpa pressurehg pressurepsi"
    ),
    "radiation": "radbq radci radgy radrad radsv radmsv radusv radrem radexpckg radr radsvh radmsvh radusvh",
    "rotational speed": "rotrpm rothz rotkhz rotmhz rotghz rotrads rotdegs",
    "temperature": "celsius fahrenheit kelvin",
    "time": "hertz ns µs ms s m h d dtdurationms dtdurations dthms dtdhms timeticks clockms clocks",
    "throughput": "cps ops reqps rps wps iops eps mps cpm opm rpm wpm epm mpm",
    "velocity": "velocityms velocitykmh velocitymph velocityknot",
    "volume": "mlitre litre m3 Nm3 dm3 gallons",
}

UNITS = frozenset(unit for units in _BY_CATEGORY.values() for unit in units.split())


def is_known_unit(unit: str) -> bool:
    return unit in UNITS or unit.startswith(CUSTOM_UNIT_PREFIXES)
