"""Synthetic person records with duplicates and errors, at any size (for speed and accuracy benchmarks).

The columns follow Splink's fake_1000 example (unique_id, first_name, surname, dob, city, email,
cluster), so the same models apply. Names are drawn from Zipf-weighted pools (a few names are very
common, most are rare; half the surnames come from a long tail of ~13,000 place-name compounds), each person has 1 + Poisson(0.8) records (at most 6), and each duplicate
carries independent errors: typos (swap, drop, replace a letter), missing values, a day/month swap or
a near date, a moved city, another mail domain. Deterministic per seed; vectorised, ~1 M records in
well under a minute.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

FIRST = """james mary john patricia robert jennifer michael linda william elizabeth david barbara richard susan joseph
jessica thomas sarah charles karen christopher nancy daniel lisa matthew betty anthony margaret mark sandra donald ashley
steven kimberly paul emily andrew donna joshua michelle kenneth dorothy kevin carol brian amanda george melissa timothy
deborah ronald stephanie edward rebecca jason sharon jeffrey laura ryan cynthia jacob kathleen gary amy nicholas angela
eric shirley jonathan anna stephen brenda larry pamela justin emma scott nicole brandon helen benjamin samantha samuel
katherine gregory christine alexander debra frank rachel patrick carolyn raymond janet jack catherine dennis maria jerry
heather tyler diane aaron ruth jose julie adam olivia nathan joyce henry virginia douglas victoria zachary kelly peter
lauren kyle christina ethan joan walter evelyn noah judith jeremy megan christian andrea keith cheryl roger hannah terry
jacqueline gerald martha harold gloria sean teresa austin ann carl sara arthur madison lawrence frances dylan kathryn
jesse janice jordan jean bryan abigail billy alice joe judy bruce sophia gabriel grace logan denise albert amber willie
doris alan marilyn juan danielle wayne beverly elijah isabella randy theresa roy diana vincent natalie ralph brittany
eugene charlotte russell marie bobby kayla mason alexis philip lori louis oliver""".split()
SURNAME = """smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson
anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson walker
young allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter
roberts gomez phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers
gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez wood
james bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins
perry russell sullivan bell coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson
alexander hamilton graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar
stevens murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas henry chen
freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw snyder mason dixon munoz
hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice schmidt garza daniels
ferguson nichols stephens soto weaver ryan gardner payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen
peters santos hart bradley knight elliott cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray
delgado berry perkins hoffman johnston matthews pena richards contreras willis carpenter lawrence sandoval guerrero
george chapman rios estrada ortega watkins greene nunez wheeler valdez harper burke larson santiago maldonado morrison
franklin carlson austin dominguez carr lawson jacobs obrien lynch singh vega bishop montgomery oliver jensen harvey
williamson gilbert dean sims espinoza howell li wong reid hanson le mccoy garrett burton fuller wang weber welch rojas
lucas marquez fields park yang little banks padilla day walsh bowman schultz luna fowler mejia davidson acosta brewer
may holland juarez newman pearson curtis cortez douglas schneider joseph barrett navarro figueroa keller avila wade
molina stanley hopkins campos barnett bates chambers caldwell beck lambert miranda byrd craig ayala lowe frazier powers
neal leonard gregory carrillo sutton fleming rhodes shelton schwartz norris jennings watts duran walters cohen mcdaniel
moran parks steele vaughn becker holt deleon barker terry hale leon hail benson haynes horton miles lyons pham graves
bush thornton wolfe warner cabrera mckinney mann zimmerman dawson lara fletcher page mccarthy love robles cervantes
solis erickson reeves chang klein salinas fuentes baldwin daniel simon velasquez hardy higgins aguirre lin cummings
chandler sharp barber bowen ochoa dennis robbins liu ramsey francis griffith paul blair oconnor cardenas pacheco cross
calderon quinn moss swanson chan rivas khan rodgers serrano fitzgerald rosales stevenson christensen manning gill curry
mclaughlin harmon mcgee gross doyle garner newton burgess reese walton blake trujillo adkins brady goodman roman webster
goodwin fischer huang potter delacruz montoya todd wu hines mullins castaneda malone cannon tate mack sherman hubbard""".split()
CITY = """london birmingham manchester leeds glasgow sheffield bradford liverpool edinburgh bristol cardiff leicester
coventry hull nottingham newcastle belfast stoke wolverhampton plymouth derby swansea southampton salford aberdeen
westminster portsmouth york peterborough dundee lancaster oxford cambridge norwich exeter gloucester bath chester
durham worcester hereford lincoln canterbury carlisle inverness perth stirling wells ripon truro ely salisbury
winchester lichfield wakefield preston sunderland brighton reading luton milton""".split()
# A long tail of rarer surnames made of English place-name parts (ash-er-ton, brook-ley ...).
_PRE = """ash bar ber black brad bright brook burn cal car church clay cole cross dal dun east el fair far fern fox
gar glen gold good green hal ham har haw hay hol holt hud kel ken kin lang lee lind lock mar mer mid mill mor new nor
oak pen pres rad red rock ros rush shel sher stan stock strat sun thorn til war wes whit wil win wood york""".split()
_MID = ["", "ing", "er", "en", "el", "an", "ow", "ar"]
_SUF = "by ton ley well worth ford field wood hurst ham stead wick more dale son ridge shaw cott burn den hill man er ing".split()
DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "mail.com", "example.org"]
LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _zipf_pick(rng: np.random.Generator, n_items: int, size: int, a: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, n_items + 1) ** a
    return rng.choice(n_items, size, p=w / w.sum())


def _typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 3:
        return s
    k = int(rng.integers(0, 3))
    i = int(rng.integers(1, len(s) - 1))
    if k == 0:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if k == 1:
        return s[:i] + s[i + 1:]
    return s[:i] + str(LETTERS[rng.integers(26)]) + s[i + 1:]


def people(n_records: int, seed: int = 42) -> pa.Table:
    """About n_records person records with a `cluster` column (the true person)."""
    rng = np.random.default_rng(seed)
    n_people = max(1, int(n_records / 1.8))
    per = np.minimum(1 + rng.poisson(0.8, n_people), 6)
    first = _zipf_pick(rng, len(FIRST), n_people)
    sur = _zipf_pick(rng, len(SURNAME), n_people, 1.0)
    tail = rng.random(n_people) < 0.5  # half the people carry a rarer surname
    tail_names = [a + b + c for a in _PRE for b in _MID for c in _SUF]
    tail_pick = _zipf_pick(rng, len(tail_names), n_people, 0.6)
    year = rng.integers(1935, 2006, n_people)
    month = rng.integers(1, 13, n_people)
    day = rng.integers(1, 29, n_people)
    city = _zipf_pick(rng, len(CITY), n_people, 0.9)
    num = rng.integers(1, 10_000, n_people)
    dom = rng.integers(0, len(DOMAINS), n_people)
    ids, fn, sn, dob, ct, em, cl = [], [], [], [], [], [], []
    err = rng.random((int(per.sum()), 10))
    row = 0
    for p in range(n_people):
        f = FIRST[first[p]]
        s = tail_names[tail_pick[p]] if tail[p] else SURNAME[sur[p]]
        d = f"{year[p]}-{month[p]:02d}-{day[p]:02d}"
        c = CITY[city[p]]
        e = f"{f}.{s}{num[p]}@{DOMAINS[dom[p]]}"
        for r in range(int(per[p])):
            ff, ss, dd, cc, ee = f, s, d, c, e
            if r:
                x = err[row]
                if x[0] < 0.12:
                    ff = _typo(rng, ff)
                if x[1] < 0.05:
                    ff = None
                if x[2] < 0.10:
                    ss = _typo(rng, ss)
                if x[3] < 0.05:
                    ss = None
                if x[4] < 0.06:
                    dd = f"{year[p]}-{day[p]:02d}-{month[p]:02d}" if day[p] <= 12 else \
                        f"{year[p]}-{month[p]:02d}-{min(28, day[p] + int(rng.integers(1, 3))):02d}"
                if x[5] < 0.06:
                    dd = None
                if x[6] < 0.15:
                    cc = None
                elif x[7] < 0.06:
                    cc = CITY[int(rng.integers(len(CITY)))]
                if x[8] < 0.12:
                    ee = None
                elif x[9] < 0.12:
                    ee = _typo(rng, ee)
            ids.append(f"{p}-{r}")
            fn.append(ff)
            sn.append(ss)
            dob.append(dd)
            ct.append(cc)
            em.append(ee)
            cl.append(str(p))
            row += 1
    return pa.table({"unique_id": ids, "first_name": fn, "surname": sn, "dob": dob, "city": ct, "email": em,
                     "cluster": cl})
