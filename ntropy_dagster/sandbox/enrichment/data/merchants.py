"""The merchant knowledge base: real brands with website, MCCs, category hint and description aliases.

One brand per line: ``name|website|mccs|hint|aliases``.

* ``website`` is the brand's domain, optionally with a path for sub-brands that share a domain (the logo
  uses the domain part). The entity id is derived from it (see ``knowledge.entity_id``).
* ``mccs`` are space-separated Merchant Category Codes.
* ``hint`` is a category hint key of ``categories.HINT_LABELS``.
* ``aliases`` are ``;``-separated upper-case token sequences as they appear in bank descriptions. The name
  and the website (``NETFLIX COM``) are aliases too, unless the alias field starts with ``=`` (names that are
  ordinary words or places, e.g. Next, Three, Iceland).
"""

from __future__ import annotations

MERCHANTS = """
Whole Foods Market|wholefoodsmarket.com|5411|groceries|WHOLEFDS;WHOLEFDS MKT;WHOLE FOODS;WFM;WHOLE FOODS MKT
Trader Joe's|traderjoes.com|5411|groceries|TRADER JOE S;TRADER JOES
Kroger|kroger.com|5411|groceries|KROGER;KROGER FUEL;THE KROGER
Safeway|safeway.com|5411|groceries|SAFEWAY STORE
Albertsons|albertsons.com|5411|groceries|ALBERTSONS
Publix|publix.com|5411|groceries|PUBLIX SUPER MAR;PUBLIX SUPER MARKETS;PUBLIX
H-E-B|heb.com|5411|groceries|HEB;H E B
Aldi|aldi.us|5411|groceries|ALDI;ALDI SUED;ALDI NORD;ALDI STORES
Lidl|lidl.com|5411|groceries|LIDL;LIDL GB;LIDL US
Costco|costco.com|5300|wholesale|COSTCO WHSE;COSTCO WHOLESALE;COSTCO COM;COSTCO GAS
Sam's Club|samsclub.com|5300|wholesale|SAMS CLUB;SAMSCLUB;SAM S CLUB
BJ's Wholesale Club|bjs.com|5300|wholesale|BJS WHOLESALE;BJ S WHOLESALE;BJS
Walmart|walmart.com|5310 5411|general|WM SUPERCENTER;WAL MART;WALMART COM;WALMART SUPERCENTER;WM SUPERC;WALMART STORE;WMT;WAL SAMS
Target|target.com|5310|general|TARGET T;TARGET COM;TARGET STORE
Wegmans|wegmans.com|5411|groceries|WEGMANS
Meijer|meijer.com|5411|groceries|MEIJER
Food Lion|foodlion.com|5411|groceries|FOOD LION
Giant Eagle|gianteagle.com|5411|groceries|GIANT EAGLE
Stop & Shop|stopandshop.com|5411|groceries|STOP & SHOP;STOP AND SHOP;STOP&SHOP
Sprouts Farmers Market|sprouts.com|5411|groceries|SPROUTS FARMERS;SPROUTS FARMERS MKT;SPROUTS
Hy-Vee|hy-vee.com|5411|groceries|HY VEE;HYVEE
Winn-Dixie|winndixie.com|5411|groceries|WINN DIXIE;WINNDIXIE
ShopRite|shoprite.com|5411|groceries|SHOPRITE;SHOP RITE
Ralphs|ralphs.com|5411|groceries|RALPHS
Fred Meyer|fredmeyer.com|5411|groceries|FRED MEYER;FRED M
Harris Teeter|harristeeter.com|5411|groceries|HARRIS TEETER
Tesco|tesco.com|5411|groceries|TESCO STORES;TESCO STORE;TESCO EXPRESS;TESCO METRO;TESCO PFS;TESCO EXTRA;TESCO
Sainsbury's|sainsburys.co.uk|5411|groceries|SAINSBURYS;SAINSBURY S;JS SAINSBURY;SAINSBURYS S MKTS;SAINSBURYS LOCAL
Asda|asda.com|5411|groceries|ASDA STORES;ASDA SUPERSTORE;ASDA
Morrisons|morrisons.com|5411|groceries|WM MORRISON;MORRISONS;W M MORRISON
Waitrose|waitrose.com|5411|groceries|WAITROSE & PARTNERS;WAITROSE
Marks & Spencer|marksandspencer.com|5311|department|M&S;M & S;MARKS & SPENCER;MARKS AND SPENCER;M&S SIMPLY FOOD;MARKS&SPENCER
Co-op|coop.co.uk|5411|groceries|=CO OP GROUP;COOP FOOD;CO OP FOOD;COOPERATIVE FOOD;CO OPERATIVE FOOD;COOP CO UK
Iceland Foods|iceland.co.uk|5411|groceries|=ICELAND FOODS;ICELAND STORES;ICELAND CO UK
Ocado|ocado.com|5411|groceries|OCADO;OCADO RETAIL
Carrefour|carrefour.com|5411|groceries|CARREFOUR;CARREFOUR MARKET;CARREFOUR CITY
Auchan|auchan.fr|5411|groceries|AUCHAN
E.Leclerc|e.leclerc|5411|groceries|E LECLERC;LECLERC
Intermarche|intermarche.com|5411|groceries|INTERMARCHE
Monoprix|monoprix.fr|5411|groceries|MONOPRIX
REWE|rewe.de|5411|groceries|REWE;REWE MARKT
EDEKA|edeka.de|5411|groceries|EDEKA
Kaufland|kaufland.de|5411|groceries|KAUFLAND
Netto|netto-online.de|5411|groceries|NETTO MARKEN;NETTO MARKEN DISCOUNT;NETTO
Penny|penny.de|5411|groceries|=PENNY MARKT;PENNY DE
dm-drogerie markt|dm.de|5912|personal_care|=DM DROGERIE;DM DROGERIE MARKT;DM FIL
Rossmann|rossmann.de|5912|personal_care|ROSSMANN
Albert Heijn|ah.nl|5411|groceries|ALBERT HEIJN;AH TO GO
Jumbo|jumbo.com|5411|groceries|=JUMBO SUPERMARKT;JUMBO SUPERMARKTEN
Mercadona|mercadona.es|5411|groceries|MERCADONA
Esselunga|esselunga.it|5411|groceries|ESSELUNGA
Delhaize|delhaize.be|5411|groceries|DELHAIZE;AD DELHAIZE
Colruyt|colruyt.be|5411|groceries|COLRUYT
SPAR|spar-international.com|5411|groceries|SPAR;EUROSPAR;INTERSPAR
Migros|migros.ch|5411|groceries|MIGROS
Instacart|instacart.com|5411|groceries|INSTACART;INSTACART COM
7-Eleven|7-eleven.com|5499|convenience|7 ELEVEN;7ELEVEN;SEVEN ELEVEN
Wawa|wawa.com|5499 5542|convenience|WAWA
Sheetz|sheetz.com|5542|fuel|SHEETZ
Circle K|circlek.com|5542|fuel|CIRCLE K
Casey's|caseys.com|5542|fuel|CASEYS GENERAL;CASEYS;CASEY S
QuikTrip|quiktrip.com|5542|fuel|QUIKTRIP;QT
RaceTrac|racetrac.com|5542|fuel|RACETRAC
Speedway|speedway.com|5542|fuel|SPEEDWAY
Pilot Flying J|pilotflyingj.com|5542|fuel|PILOT;FLYING J;PILOT FLYING J
Love's Travel Stops|loves.com|5542|fuel|LOVES TRAVEL;LOVE S COUNTRY;LOVES COUNTRY;LOVES
Shell|shell.com|5541 5542|fuel|SHELL OIL;SHELL SERVICE;SHELL
BP|bp.com|5541 5542|fuel|BP;BP CONNECT;BP OIL;BP PRODUCTS
ExxonMobil|exxon.com|5541 5542|fuel|EXXONMOBIL;EXXON;MOBIL;EXXON MOBIL
Chevron|chevron.com|5541 5542|fuel|CHEVRON
Texaco|texaco.com|5541 5542|fuel|TEXACO
Sunoco|sunoco.com|5541 5542|fuel|SUNOCO
Marathon|marathonpetroleum.com|5541 5542|fuel|MARATHON PETRO;MARATHON
Valero|valero.com|5541 5542|fuel|VALERO
Citgo|citgo.com|5541 5542|fuel|CITGO
Phillips 66|phillips66.com|5541 5542|fuel|PHILLIPS 66;P66
Conoco|conoco.com|5541 5542|fuel|CONOCO
ARCO|arco.com|5541 5542|fuel|ARCO;AMPM;AM PM
Murphy USA|murphyusa.com|5541 5542|fuel|MURPHY USA;MURPHY EXPRESS;MURPHY
Esso|esso.co.uk|5541 5542|fuel|ESSO
TotalEnergies|totalenergies.com|5541 5542|fuel|TOTALENERGIES;TOTAL ACCESS;TOTAL ENERGIES
Aral|aral.de|5541 5542|fuel|ARAL;ARAL TANKSTELLE
Repsol|repsol.com|5541 5542|fuel|REPSOL
Tesla|tesla.com|5552 5511|ev_charging|TESLA;TESLA SUPERCHARGER;TESLA MOTORS
ChargePoint|chargepoint.com|5552|ev_charging|CHARGEPOINT
Electrify America|electrifyamerica.com|5552|ev_charging|ELECTRIFY AMERICA
McDonald's|mcdonalds.com|5814|fast_food|MCDONALDS;MCDONALD S;MC DONALDS;MCD
Burger King|bk.com|5814|fast_food|BURGER KING;BK
Wendy's|wendys.com|5814|fast_food|WENDYS;WENDY S
Taco Bell|tacobell.com|5814|fast_food|TACO BELL
KFC|kfc.com|5814|fast_food|KFC;KENTUCKY FRIED
Subway|subway.com|5814|fast_food|SUBWAY
Chick-fil-A|chick-fil-a.com|5814|fast_food|CHICK FIL A;CHICKFILA
Chipotle|chipotle.com|5814|fast_food|CHIPOTLE;CHIPOTLE ONLINE;CHIPOTLE MEXICAN
Domino's|dominos.com|5814|fast_food|DOMINOS;DOMINO S;DOMINOS PIZZA
Pizza Hut|pizzahut.com|5814|fast_food|PIZZA HUT
Papa John's|papajohns.com|5814|fast_food|PAPA JOHNS;PAPA JOHN S
Five Guys|fiveguys.com|5814|fast_food|FIVE GUYS
Shake Shack|shakeshack.com|5814|fast_food|SHAKE SHACK
In-N-Out Burger|in-n-out.com|5814|fast_food|IN N OUT;IN N OUT BURGER
Popeyes|popeyes.com|5814|fast_food|POPEYES
Panera Bread|panerabread.com|5814|fast_food|PANERA;PANERA BREAD
Jack in the Box|jackinthebox.com|5814|fast_food|JACK IN THE BOX
Sonic Drive-In|sonicdrivein.com|5814|fast_food|SONIC DRIVE;SONIC DRIVE IN
Arby's|arbys.com|5814|fast_food|ARBYS
Dairy Queen|dairyqueen.com|5814|fast_food|DAIRY QUEEN
Panda Express|pandaexpress.com|5814|fast_food|PANDA EXPRESS
Qdoba|qdoba.com|5814|fast_food|QDOBA
Jersey Mike's|jerseymikes.com|5814|fast_food|JERSEY MIKES;JERSEY MIKE S
Jimmy John's|jimmyjohns.com|5814|fast_food|JIMMY JOHNS;JIMMY JOHN S
Wingstop|wingstop.com|5814|fast_food|WINGSTOP
Little Caesars|littlecaesars.com|5814|fast_food|LITTLE CAESARS
Krispy Kreme|krispykreme.com|5814|fast_food|KRISPY KREME
Sweetgreen|sweetgreen.com|5812|restaurants|SWEETGREEN
CAVA|cava.com|5812|restaurants|CAVA
Nando's|nandos.co.uk|5812|restaurants|NANDOS
Greggs|greggs.co.uk|5814|fast_food|GREGGS
Pret A Manger|pret.com|5814|coffee|PRET A MANGER;PRET
Wagamama|wagamama.com|5812|restaurants|WAGAMAMA
itsu|itsu.com|5812|restaurants|ITSU
Pizza Express|pizzaexpress.com|5812|restaurants|PIZZA EXPRESS;PIZZAEXPRESS
Olive Garden|olivegarden.com|5812|restaurants|OLIVE GARDEN
Applebee's|applebees.com|5812|restaurants|APPLEBEES;APPLEBEE S
Chili's|chilis.com|5812|restaurants|CHILIS;CHILI S
Outback Steakhouse|outback.com|5812|restaurants|OUTBACK;OUTBACK STEAKHOUSE
The Cheesecake Factory|thecheesecakefactory.com|5812|restaurants|CHEESECAKE FACTORY;THE CHEESECAKE
Red Lobster|redlobster.com|5812|restaurants|RED LOBSTER
IHOP|ihop.com|5812|restaurants|IHOP
Denny's|dennys.com|5812|restaurants|DENNYS;DENNY S
Buffalo Wild Wings|buffalowildwings.com|5812|restaurants|BUFFALO WILD WINGS;BWW
Texas Roadhouse|texasroadhouse.com|5812|restaurants|TEXAS ROADHOUSE
Cracker Barrel|crackerbarrel.com|5812|restaurants|CRACKER BARREL
P.F. Chang's|pfchangs.com|5812|restaurants|PF CHANGS;P F CHANGS
JD Wetherspoon|jdwetherspoon.com|5813|bars|JD WETHERSPOON;WETHERSPOONS;J D WETHERSPOON;WETHERSPOON
Starbucks|starbucks.com|5814|coffee|STARBUCKS;SBUX;STARBUCKS STORE;STARBUCKS COFFEE
Dunkin'|dunkindonuts.com|5814|coffee|DUNKIN;DUNKIN DONUTS
Tim Hortons|timhortons.com|5814|coffee|TIM HORTONS
Peet's Coffee|peets.com|5814|coffee|PEETS;PEET S;PEETS COFFEE
Dutch Bros|dutchbros.com|5814|coffee|DUTCH BROS
Blue Bottle Coffee|bluebottlecoffee.com|5814|coffee|BLUE BOTTLE;BLUE BOTTLE COFFEE
Philz Coffee|philzcoffee.com|5814|coffee|PHILZ;PHILZ COFFEE
Costa Coffee|costa.co.uk|5814|coffee|COSTA COFFEE;COSTA
Caffe Nero|caffenero.com|5814|coffee|CAFFE NERO;CAFE NERO
The Coffee Bean & Tea Leaf|coffeebean.com|5814|coffee|COFFEE BEAN;THE COFFEE BEAN
Caribou Coffee|cariboucoffee.com|5814|coffee|CARIBOU COFFEE
Joe & The Juice|joejuice.com|5814|coffee|JOE & THE JUICE;JOE AND THE JUICE
Delta Air Lines|delta.com|3058 4511|airline|DELTA AIR;DELTA AIRLINES;DELTA AIR LINES;DELTA
United Airlines|united.com|3000 4511|airline|=UNITED AIRLINES;UNITED AIR;UNITED AIRL;UNITED COM
American Airlines|aa.com|3001 4511|airline|AMERICAN AIR;AMERICAN AIRLINES;AMERICAN AIRL
Southwest Airlines|southwest.com|3066 4511|airline|SOUTHWEST AIR;SOUTHWES;SOUTHWEST AIRLINES;SOUTHWEST
JetBlue|jetblue.com|3174 4511|airline|JETBLUE;JET BLUE;JETBLUE AIRWAYS
Alaska Airlines|alaskaair.com|3256 4511|airline|ALASKA AIR;ALASKA AIRLINES
Spirit Airlines|spirit.com|3260 4511|airline|SPIRIT AIRL;SPIRIT AIRLINES;SPIRIT AIR
Frontier Airlines|flyfrontier.com|3079 4511|airline|FRONTIER AIRLINES;FRONTIER AI;FRONTIER AIR
British Airways|britishairways.com|3005 4511|airline|BRITISH AIRWAYS;BRIT AIRWAYS;BRITISH A
easyJet|easyjet.com|3245 4511|airline|EASYJET;EASY JET
Ryanair|ryanair.com|3246 4511|airline|RYANAIR
Lufthansa|lufthansa.com|3008 4511|airline|LUFTHANSA;DEUTSCHE LUFTHANSA
Air France|airfrance.com|3007 4511|airline|AIR FRANCE
KLM|klm.com|3010 4511|airline|KLM;KLM ROYAL DUTCH
Virgin Atlantic|virginatlantic.com|3075 4511|airline|VIRGIN ATLANTIC;VIRGIN ATL
Emirates|emirates.com|3026 4511|airline|EMIRATES;EMIRATES AIRLINE
Iberia|iberia.com|3052 4511|airline|IBERIA
Vueling|vueling.com|4511|airline|VUELING
Wizz Air|wizzair.com|4511|airline|WIZZ AIR;WIZZAIR
Aer Lingus|aerlingus.com|3043 4511|airline|AER LINGUS
Norwegian Air|norwegian.com|4511|airline|=NORWEGIAN AIR;NORWEGIAN AIR SHUTTLE;NORWEGIAN COM
SAS Scandinavian Airlines|flysas.com|3016 4511|airline|=SAS AIRLINES;SCANDINAVIAN AIRLINES;FLYSAS
Swiss International Air Lines|swiss.com|3076 4511|airline|=SWISS INTERNATIONAL;SWISS AIR;SWISS INTL AIR;SWISS COM
TAP Air Portugal|flytap.com|3064 4511|airline|TAP PORTUGAL;TAP AIR;FLYTAP
Air Canada|aircanada.com|3009 4511|airline|AIR CANADA
Qatar Airways|qatarairways.com|3136 4511|airline|QATAR AIRWAYS;QATAR AIR
Marriott|marriott.com|3509 7011|hotel|MARRIOTT;COURTYARD BY MARRIOTT;RESIDENCE INN;SHERATON;WESTIN
Hilton|hilton.com|3504 7011|hotel|HILTON;HILTON HOTELS;HAMPTON INN;DOUBLETREE;EMBASSY SUITES
Hyatt|hyatt.com|3640 7011|hotel|HYATT;HYATT REGENCY;HYATT PLACE
IHG Hotels & Resorts|ihg.com|3501 7011|hotel|IHG;HOLIDAY INN;CROWNE PLAZA;INTERCONTINENTAL;HOLIDAY INN EXPRESS
Best Western|bestwestern.com|3502 7011|hotel|BEST WESTERN
Wyndham|wyndhamhotels.com|7011|hotel|WYNDHAM;DAYS INN;SUPER 8;LA QUINTA;RAMADA
Choice Hotels|choicehotels.com|7011|hotel|CHOICE HOTELS;COMFORT INN;QUALITY INN;COMFORT SUITES
Accor|accor.com|7011|hotel|ACCOR;IBIS;NOVOTEL;MERCURE;SOFITEL
Premier Inn|premierinn.com|7011|hotel|PREMIER INN
Travelodge|travelodge.co.uk|7011|hotel|TRAVELODGE
Airbnb|airbnb.com|7011 4722|hotel|AIRBNB;AIR BNB;AIRBNB HMQ
Booking.com|booking.com|4722|travel|BOOKING COM;BOOKING COM BV
Expedia|expedia.com|4722|travel|EXPEDIA;EXPEDIA INC
Hotels.com|hotels.com|4722|hotel|HOTELS COM;HOTELSCOM
Vrbo|vrbo.com|7011|hotel|VRBO;HOMEAWAY
Priceline|priceline.com|4722|travel|PRICELINE
Trainline|thetrainline.com|4112|rail|TRAINLINE;THETRAINLINE;TRAINLINE COM
Amtrak|amtrak.com|4112|rail|AMTRAK
Eurostar|eurostar.com|4112|rail|EUROSTAR
Deutsche Bahn|bahn.de|4112|rail|DB BAHN;DB VERTRIEB;DEUTSCHE BAHN;DB FERNVERKEHR
SNCF|sncf-connect.com|4112|rail|SNCF;SNCF CONNECT;OUI SNCF
LNER|lner.co.uk|4112|rail|LNER
Greyhound|greyhound.com|4131|public_transport|GREYHOUND
FlixBus|flixbus.com|4131|public_transport|FLIXBUS;FLIX BUS
Uber|uber.com|4121|rideshare|UBER;UBER TRIP;UBER BV;UBR;UBER RIDES;UBER TECHNOLOGIES
Lyft|lyft.com|4121|rideshare|LYFT;LYFT RIDE
Bolt|bolt.eu|4121|rideshare|BOLT EU;BOLT
FREENOW|free-now.com|4121|rideshare|FREENOW;FREE NOW;MYTAXI
Addison Lee|addisonlee.com|4121|rideshare|ADDISON LEE
Curb|gocurb.com|4121|rideshare|=CURB;CURB MOBILITY;GOCURB
Lime|li.me|4121|rideshare|=LIME RIDE;LIME SCOOTER;LIME LI ME;LIME
Hertz|hertz.com|3357 7512|car_rental|HERTZ;HERTZ RENT A CAR
Avis|avis.com|3389 7512|car_rental|AVIS;AVIS RENT A CAR
Enterprise Rent-A-Car|enterprise.com|3405 7512|car_rental|=ENTERPRISE RENT;ENTERPRISE RENT A CAR;ENTERPRISE RENTACAR;ENTERPRISE COM
Budget Rent a Car|budget.com|3366 7512|car_rental|=BUDGET RENT A CAR;BUDGET RENT;BUDGET RENTACAR;BUDGET COM
National Car Rental|nationalcar.com|3393 7512|car_rental|=NATIONAL CAR;NATIONAL CAR RENTAL
Sixt|sixt.com|7512|car_rental|SIXT;SIXT RENT A CAR
Europcar|europcar.com|7512|car_rental|EUROPCAR
Zipcar|zipcar.com|7512|car_rental|ZIPCAR
Turo|turo.com|7512|car_rental|TURO
ParkMobile|parkmobile.io|7523|parking|PARKMOBILE;PARK MOBILE
SpotHero|spothero.com|7523|parking|SPOTHERO
E-ZPass|e-zpassny.com|4784|parking|E ZPASS;EZPASS;E Z PASS
SunPass|sunpass.com|4784|parking|SUNPASS
FasTrak|bayareafastrak.org|4784|parking|FASTRAK
RingGo|myringgo.co.uk|7523|parking|RINGGO
JustPark|justpark.com|7523|parking|JUSTPARK
Transport for London|tfl.gov.uk|4111|public_transport|TFL;TFL TRAVEL CH;TFL GOV UK;TRANSPORT FOR LONDON
MTA|mta.info|4111|public_transport|MTA;MTA NYCT;NYCT PAYGO;OMNY;MTA NYCT PAYGO
BART|bart.gov|4111|public_transport|BART;BART CLIPPER
WMATA|wmata.com|4111|public_transport|WMATA;SMARTRIP
Ventra|transitchicago.com|4111|public_transport|=CTA VENTRA;VENTRA
MBTA|mbta.com|4111|public_transport|MBTA
AutoZone|autozone.com|5533|auto|AUTOZONE
O'Reilly Auto Parts|oreillyauto.com|5533|auto|OREILLY AUTO;O REILLY AUTO;OREILLY
Advance Auto Parts|advanceautoparts.com|5533|auto|ADVANCE AUTO;ADVANCE AUTO PARTS
Jiffy Lube|jiffylube.com|7538|auto|JIFFY LUBE
Pep Boys|pepboys.com|7538|auto|PEP BOYS
Firestone Complete Auto Care|firestonecompleteautocare.com|7538|auto|FIRESTONE
Valvoline Instant Oil Change|vioc.com|7538|auto|VALVOLINE;VIOC
Halfords|halfords.com|5533|auto|HALFORDS
Kwik Fit|kwik-fit.com|7538|auto|KWIK FIT;KWIKFIT
Amazon|amazon.com|5942 5999|marketplace|AMZN;AMZN MKTP;AMZN MKTP US;AMAZON MKTPLACE;AMAZON MKTPL;AMAZON COM;AMAZON RETAIL;AMAZON MARKETPLACE;AMAZON CO UK;AMAZON DE;AMAZON UK;AMZ;AMAZON
Amazon Prime|amazon.com/prime|5968|digital|AMAZON PRIME;AMZN PRIME;PRIME MEMBERSHIP;AMAZONPRIME;AMAZON PRIME MEMBERSHIP
Amazon Digital Services|amazon.com/digital|5815|digital|AMZN DIGITAL;AMAZON DIGITAL;AMAZON DIG;KINDLE;AMZN KINDLE;KINDLE UNLTD
Prime Video|primevideo.com|4899|streaming|PRIME VIDEO;AMAZON PRIME VIDEO;AMZN PRIME VIDEO;PRIMEVIDEO
Amazon Fresh|amazon.com/fresh|5411|groceries|AMAZON FRESH;AMZN FRESH
Audible|audible.com|5815|digital|AUDIBLE
Amazon Web Services|aws.amazon.com|4816 7372|cloud|AWS;AMAZON WEB SERVICES;AWS EMEA;AWS AMAZON;AMAZON WEB SVCS
eBay|ebay.com|5999|marketplace|EBAY;EBAY O;EBAY COMMERCE
Etsy|etsy.com|5999|marketplace|ETSY;ETSY COM
Best Buy|bestbuy.com|5732|electronics|BEST BUY;BESTBUY
Apple|apple.com|5818 5732|digital|APPLE COM BILL;ITUNES;ITUNES COM;APPLE SERVICES;ICLOUD;APPLE COM;APPLE MUSIC;APPLE
Apple Store|apple.com/retail|5732|electronics|APPLE STORE;APPLE ONLINE STORE;APPLE RETAIL
The Home Depot|homedepot.com|5200|home_improvement|HOME DEPOT;THE HOME DEPOT;HOMEDEPOT;HOMEDEPOT COM
Lowe's|lowes.com|5200|home_improvement|LOWES;LOWE S;LOWES HOME
IKEA|ikea.com|5712|furniture|IKEA
Wayfair|wayfair.com|5712|furniture|WAYFAIR
B&Q|diy.com|5200|home_improvement|B&Q;B & Q;B AND Q;DIY COM
Wickes|wickes.co.uk|5200|home_improvement|WICKES
Screwfix|screwfix.com|5200|home_improvement|SCREWFIX
OBI|obi.de|5200|home_improvement|=OBI MARKT;OBI BAU;OBI DE
Leroy Merlin|leroymerlin.fr|5200|home_improvement|LEROY MERLIN
Menards|menards.com|5200|home_improvement|MENARDS
Ace Hardware|acehardware.com|5251|home_improvement|ACE HARDWARE;ACE HDWE;ACE HDW
Macy's|macys.com|5311|department|MACYS;MACY S;MACYS COM
Nordstrom|nordstrom.com|5311|department|NORDSTROM;NORDSTROM RACK
Kohl's|kohls.com|5311|department|KOHLS;KOHL S
JCPenney|jcpenney.com|5311|department|JCPENNEY;JC PENNEY;JCP
TJ Maxx|tjmaxx.com|5651|department|TJ MAXX;TJMAXX;T J MAXX;TK MAXX;TKMAXX
Marshalls|marshalls.com|5651|department|MARSHALLS
Ross Dress for Less|rossstores.com|5651|department|=ROSS STORES;ROSS DRESS FOR LESS;ROSS DRESS
Burlington|burlington.com|5651|department|BURLINGTON STORES;BURLINGTON COAT;BURLINGTON
Dollar General|dollargeneral.com|5331|general|DOLLAR GENERAL;DOLLAR GEN;DG
Dollar Tree|dollartree.com|5331|general|DOLLAR TREE;DOLLARTREE
Family Dollar|familydollar.com|5331|general|FAMILY DOLLAR
Five Below|fivebelow.com|5331|general|FIVE BELOW
Argos|argos.co.uk|5311|general|ARGOS;ARGOS LTD
John Lewis|johnlewis.com|5311|department|JOHN LEWIS;JOHN LEWIS & PARTNERS;JOHNLEWIS
Selfridges|selfridges.com|5311|department|SELFRIDGES
Harrods|harrods.com|5311|department|HARRODS
Primark|primark.com|5651|clothing|PRIMARK
Next|next.co.uk|5651|clothing|=NEXT RETAIL;NEXT DIRECTORY;NEXT PLC;NEXT ONLINE;NEXT CO UK
Boots|boots.com|5912|pharmacy|BOOTS;BOOTS THE CHEMIST;BOOTS UK
Superdrug|superdrug.com|5912|pharmacy|SUPERDRUG
Currys|currys.co.uk|5732|electronics|CURRYS;CURRYS PC WORLD;CURRYS PCWORLD
Zara|zara.com|5651|clothing|ZARA
H&M|hm.com|5651|clothing|=H&M;H & M;HENNES;HENNES & MAURITZ;HM COM
Uniqlo|uniqlo.com|5651|clothing|UNIQLO
Gap|gap.com|5651|clothing|GAP;GAP US;GAP OUTLET;GAP COM
Old Navy|oldnavy.com|5651|clothing|OLD NAVY;OLDNAVY
Nike|nike.com|5661|clothing|NIKE;NIKE COM;NIKE STORE
Adidas|adidas.com|5661|clothing|ADIDAS
Foot Locker|footlocker.com|5661|clothing|FOOT LOCKER;FOOTLOCKER
Lululemon|lululemon.com|5651|clothing|LULULEMON
Sephora|sephora.com|5977|personal_care|SEPHORA
Ulta Beauty|ulta.com|5977|personal_care|ULTA;ULTA BEAUTY;ULTA COM
Bath & Body Works|bathandbodyworks.com|5977|personal_care|BATH & BODY;BATH AND BODY;BATH & BODY WORKS
Shein|shein.com|5651|clothing|SHEIN
Temu|temu.com|5999|marketplace|TEMU;TEMU COM
AliExpress|aliexpress.com|5999|marketplace|ALIEXPRESS;ALIPAY ALIEXPRESS
Zalando|zalando.de|5651|clothing|ZALANDO
ASOS|asos.com|5651|clothing|ASOS;ASOS COM
MediaMarkt|mediamarkt.de|5732|electronics|MEDIAMARKT;MEDIA MARKT
Fnac|fnac.com|5732|electronics|FNAC;FNAC DARTY
Decathlon|decathlon.com|5941|clothing|DECATHLON
El Corte Ingles|elcorteingles.es|5311|department|EL CORTE INGLES
Staples|staples.com|5943|office_supplies|STAPLES;STAPLES DIRECT
Office Depot|officedepot.com|5943|office_supplies|OFFICE DEPOT;OFFICEMAX;OFFICE MAX
Michaels|michaels.com|5945|general|MICHAELS;MICHAELS STORES
Hobby Lobby|hobbylobby.com|5945|general|HOBBY LOBBY
Barnes & Noble|barnesandnoble.com|5942|books|BARNES & NOBLE;BARNES AND NOBLE;BARNES NOBLE;BN COM
Waterstones|waterstones.com|5942|books|WATERSTONES
GameStop|gamestop.com|5734|gaming|GAMESTOP
Newegg|newegg.com|5732|electronics|NEWEGG
B&H Photo|bhphotovideo.com|5732|electronics|B&H PHOTO;B & H PHOTO;BH PHOTO
Dell|dell.com|5732|electronics|DELL;DELL COM;DELL TECHNOLOGIES
Lenovo|lenovo.com|5732|electronics|LENOVO
HP|hp.com|5732|electronics|=HP INC;HP STORE;HEWLETT PACKARD;HP COM;HP INSTANT INK
Chewy|chewy.com|5995|pets|CHEWY;CHEWY COM
Petco|petco.com|5995|pets|PETCO
PetSmart|petsmart.com|5995|pets|PETSMART
Pets at Home|petsathome.com|5995|pets|PETS AT HOME
Walgreens|walgreens.com|5912|pharmacy|WALGREENS;WALGREEN
CVS Pharmacy|cvs.com|5912|pharmacy|CVS;CVS PHARMACY;CVS STORE;CVSPHARMACY
Rite Aid|riteaid.com|5912|pharmacy|RITE AID;RITEAID
Kaiser Permanente|kp.org|8011 6300|health|KAISER PERMANENTE;KAISER;KP ORG
Quest Diagnostics|questdiagnostics.com|8071|health|QUEST DIAGNOSTICS;QUEST DIAG
Labcorp|labcorp.com|8071|health|LABCORP;LAB CORP
One Medical|onemedical.com|8011|health|ONE MEDICAL;1LIFE HEALTHCARE
Teladoc|teladoc.com|8011|health|TELADOC
GoodRx|goodrx.com|5912|pharmacy|GOODRX
Hims & Hers|forhims.com|5912|health|HIMS;HIMS & HERS;FORHIMS
Specsavers|specsavers.co.uk|8043|health|SPECSAVERS
Warby Parker|warbyparker.com|8043|health|WARBY PARKER
Planet Fitness|planetfitness.com|7997|fitness|PLANET FITNESS;PLANET FIT;PF CLUB FEES
LA Fitness|lafitness.com|7997|fitness|LA FITNESS
24 Hour Fitness|24hourfitness.com|7997|fitness|24 HOUR FITNESS;24 HR FITNESS;24HOUR FITNESS
Equinox|equinox.com|7997|fitness|EQUINOX
Anytime Fitness|anytimefitness.com|7997|fitness|ANYTIME FITNESS
Orangetheory Fitness|orangetheory.com|7997|fitness|ORANGETHEORY;ORANGE THEORY;OTF
Peloton|onepeloton.com|7997 5941|fitness|PELOTON;PELOTON INTERACTIVE
ClassPass|classpass.com|7997|fitness|CLASSPASS
PureGym|puregym.com|7997|fitness|PUREGYM;PURE GYM
The Gym Group|thegymgroup.com|7997|fitness|THE GYM GROUP;GYM GROUP
David Lloyd Clubs|davidlloyd.co.uk|7997|fitness|DAVID LLOYD;DAVID LLOYD LEISURE
Crunch Fitness|crunch.com|7997|fitness|CRUNCH FITNESS;CRUNCH
Gold's Gym|goldsgym.com|7997|fitness|GOLDS GYM;GOLD S GYM
Strava|strava.com|5818|digital|STRAVA
Great Clips|greatclips.com|7230|personal_care|GREAT CLIPS
Supercuts|supercuts.com|7230|personal_care|SUPERCUTS
AMC Theatres|amctheatres.com|7832|entertainment|AMC;AMC THEATRES;AMC THEATERS
Regal Cinemas|regmovies.com|7832|entertainment|REGAL CINEMAS;REGAL
Cinemark|cinemark.com|7832|entertainment|CINEMARK
Odeon|odeon.co.uk|7832|entertainment|ODEON;ODEON CINEMAS
Vue Cinemas|myvue.com|7832|entertainment|VUE CINEMAS;VUE;MYVUE
Cineworld|cineworld.co.uk|7832|entertainment|CINEWORLD
Ticketmaster|ticketmaster.com|7922|entertainment|TICKETMASTER;TM TICKETMASTER
Live Nation|livenation.com|7922|entertainment|LIVE NATION;LIVENATION
StubHub|stubhub.com|7922|entertainment|STUBHUB
SeatGeek|seatgeek.com|7922|entertainment|SEATGEEK
Fandango|fandango.com|7832|entertainment|FANDANGO
Dave & Buster's|daveandbusters.com|5812 7994|entertainment|DAVE & BUSTERS;DAVE AND BUSTERS;DAVE & BUSTER S
Topgolf|topgolf.com|7992|entertainment|TOPGOLF;TOP GOLF
Netflix|netflix.com|4899|streaming|NETFLIX;NETFLIX COM;NETFLIX INC
Spotify|spotify.com|5815|streaming|SPOTIFY;SPOTIFY USA;SPOTIFY AB;SPOTIFY P;SPOTIFYUSA
Hulu|hulu.com|4899|streaming|HULU;HULU COM;HULU LLC
Disney+|disneyplus.com|4899|streaming|DISNEY PLUS;DISNEYPLUS;DISNEY;DISNEY PLUS SUBSCRIPTION
Max|max.com|4899|streaming|=HBO MAX;HBOMAX;HBO;MAX COM;WARNER MAX
Paramount+|paramountplus.com|4899|streaming|PARAMOUNT PLUS;PARAMOUNTPLUS;PARAMOUNT
Peacock|peacocktv.com|4899|streaming|PEACOCK;PEACOCKTV;PEACOCK TV
YouTube|youtube.com|4899|streaming|YOUTUBE;YOUTUBE PREMIUM;YOUTUBEPREMIUM;YOUTUBE TV;YOUTUBE MUSIC
Sling TV|sling.com|4899|streaming|SLING TV;SLING COM;SLING
Fubo|fubo.tv|4899|streaming|FUBOTV;FUBO;FUBO TV
Crunchyroll|crunchyroll.com|4899|streaming|CRUNCHYROLL
Pandora|pandora.com|5815|streaming|PANDORA;PANDORA MEDIA
SiriusXM|siriusxm.com|4899|streaming|SIRIUSXM;SIRIUS XM;SIRIUS
Deezer|deezer.com|5815|streaming|DEEZER
DAZN|dazn.com|4899|streaming|DAZN
NOW|nowtv.com|4899|streaming|=NOW TV;NOWTV;NOW TV SUBSCRIPTION
Canal+|canalplus.com|4899|streaming|CANAL PLUS;CANAL;CANALPLUS
Twitch|twitch.tv|5815|streaming|TWITCH;TWITCH TV;TWITCHTV
Patreon|patreon.com|5815|digital|PATREON;PATREON MEMBERSHIP
Substack|substack.com|5815|digital|SUBSTACK
The New York Times|nytimes.com|5994|digital|NYTIMES;NY TIMES;NEW YORK TIMES;NYT;NYTIMES COM
The Wall Street Journal|wsj.com|5994|digital|WSJ;WALL STREET JOURNAL;DOW JONES;WSJ COM
The Economist|economist.com|5994|digital|ECONOMIST;THE ECONOMIST
Medium|medium.com|5815|digital|=MEDIUM COM;MEDIUM CORPORATION;MEDIUM MEMBERSHIP
Duolingo|duolingo.com|5815|digital|DUOLINGO
Headspace|headspace.com|5815|digital|HEADSPACE
Calm|calm.com|5815|digital|=CALM COM;CALM APP;CALM SUBSCRIPTION
Tinder|tinder.com|5815|digital|TINDER;TINDER GOLD;TINDER PLUS
Bumble|bumble.com|5815|digital|BUMBLE
Hinge|hinge.co|5815|digital|HINGE;HINGE APP
LinkedIn|linkedin.com|5815 7311|software|LINKEDIN;LNKD;LINKEDIN PRE;LINKEDIN PREMIUM;LINKEDINPRE
Dropbox|dropbox.com|5734|software|DROPBOX
Adobe|adobe.com|5734|software|ADOBE;ADOBE SYSTEMS;ADOBE CREATIVE;ADOBE ACROPRO;ADOBE CREATIVE CLOUD
Canva|canva.com|5734|software|CANVA
Grammarly|grammarly.com|5734|software|GRAMMARLY
NordVPN|nordvpn.com|5734|software|NORDVPN;NORD VPN;NORDSEC
ExpressVPN|expressvpn.com|5734|software|EXPRESSVPN;EXPRESS VPN
1Password|1password.com|5734|software|1PASSWORD;AGILEBITS
LastPass|lastpass.com|5734|software|LASTPASS
Evernote|evernote.com|5734|software|EVERNOTE
Notion|notion.so|5734|software|NOTION;NOTION LABS;NOTION SO
OpenAI|openai.com|5734|software|OPENAI;CHATGPT;OPENAI CHATGPT;CHATGPT SUBSCRIPTION
Anthropic|anthropic.com|5734|software|ANTHROPIC;CLAUDE AI;CLAUDE SUBSCRIPTION
Microsoft|microsoft.com|5734 5818|software|MICROSOFT;MSFT;MICROSOFT 365;MICROSOFT OFFICE;OFFICE 365;MSBILL;MSBILL INFO;MICROSOFT STORE
Xbox|xbox.com|5816|gaming|XBOX;XBOX LIVE;MICROSOFT XBOX;XBOX GAME PASS
Microsoft Azure|azure.microsoft.com|4816 7372|cloud|AZURE;MICROSOFT AZURE;MSFT AZURE
PlayStation|playstation.com|5816|gaming|PLAYSTATION;PLAYSTATION NETWORK;SONY PLAYSTATION;PSN;SONY NETWORK
Nintendo|nintendo.com|5816|gaming|NINTENDO;NINTENDO ESHOP;NINTENDO OF AMERICA
Steam|steampowered.com|5816|gaming|STEAM;STEAMGAMES;STEAM GAMES;VALVE;STEAM PURCHASE;STEAMPOWERED
Epic Games|epicgames.com|5816|gaming|EPIC GAMES;EPICGAMES
Roblox|roblox.com|5816|gaming|ROBLOX;ROBLOX CORP
Blizzard Entertainment|blizzard.com|5816|gaming|BLIZZARD;BLIZZARD ENT;BLIZZARD ENTERTAINMENT;BATTLE NET
Electronic Arts|ea.com|5816|gaming|ELECTRONIC ARTS;EA GAMES;EA ORIGIN
Google|google.com|5818|digital|GOOGLE;GOOGLE STORAGE;GOOGLE ONE;GOOGLE SERVICES;GOOGLE PLAY APPS;GOOGLE PLAY STORE
Google Cloud|cloud.google.com|4816 7372|cloud|GOOGLE CLOUD;GCP;GOOGLE CLOUD PLATFORM;GOOGLE CLOUD EMEA
Google Workspace|workspace.google.com|5734|software|GOOGLE WORKSPACE;GSUITE;G SUITE;GOOGLE GSUITE;GOOGLE APPS;WORKSPACE
Google Ads|ads.google.com|7311|advertising|GOOGLE ADS;ADWORDS;GOOGLE ADWORDS;GOOGLE ADS SERVICES
Google Fi|fi.google.com|4814|telecom|GOOGLE FI;GOOGLE FIBER;PROJECT FI
Slack|slack.com|5734|software|SLACK;SLACK TECHNOLOGIES;SLACK T
GitHub|github.com|5734|software|GITHUB;GITHUB INC;GITHUB COM
GitLab|gitlab.com|5734|software|GITLAB;GITLAB INC
Atlassian|atlassian.com|5734|software|ATLASSIAN;JIRA;CONFLUENCE;TRELLO;BITBUCKET
Salesforce|salesforce.com|5734|software|SALESFORCE;SFDC;SALESFORCE COM
HubSpot|hubspot.com|5734|software|HUBSPOT;HUBSPOT INC
Zoom|zoom.us|5734|software|ZOOM;ZOOM US;ZOOM VIDEO;ZOOM VIDEO COMM;ZOOM COM
Asana|asana.com|5734|software|ASANA
Monday.com|monday.com|5734|software|=MONDAY COM;MONDAY COM LTD
Figma|figma.com|5734|software|FIGMA
Miro|miro.com|5734|software|MIRO;REALTIMEBOARD
Airtable|airtable.com|5734|software|AIRTABLE
Zendesk|zendesk.com|5734|software|ZENDESK
Intercom|intercom.com|5734|software|INTERCOM;INTERCOM INC;INTERCOM R
Twilio|twilio.com|4814 5734|software|TWILIO;TWILIO SENDGRID;SENDGRID
Mailchimp|mailchimp.com|7311|advertising|MAILCHIMP;INTUIT MAILCHIMP;MC MAILCHIMP
DocuSign|docusign.com|5734|software|DOCUSIGN
Okta|okta.com|5734|software|OKTA
Datadog|datadoghq.com|5734|cloud|DATADOG;DATADOG INC;DATADOG HQ
Heroku|heroku.com|4816|cloud|HEROKU
DigitalOcean|digitalocean.com|4816|cloud|DIGITALOCEAN;DIGITAL OCEAN;DIGITALOCEAN COM
Cloudflare|cloudflare.com|4816|cloud|CLOUDFLARE
Vercel|vercel.com|4816|cloud|VERCEL;VERCEL INC
Netlify|netlify.com|4816|cloud|NETLIFY
Snowflake|snowflake.com|4816|cloud|SNOWFLAKE;SNOWFLAKE INC
MongoDB|mongodb.com|4816|cloud|MONGODB;MONGODB CLOUD;MONGODBCLOUD;MONGODB ATLAS
OVHcloud|ovhcloud.com|4816|cloud|OVH;OVHCLOUD;OVH SAS
Hetzner|hetzner.com|4816|cloud|HETZNER;HETZNER ONLINE
Squarespace|squarespace.com|5734|software|SQSP;SQUARESPACE;SQUARESPACE INC
Wix|wix.com|5734|software|WIX;WIX COM
GoDaddy|godaddy.com|4816|software|GODADDY;GODADDY COM;DNH GODADDY
Namecheap|namecheap.com|4816|software|NAMECHEAP;NAME CHEAP
WordPress.com|wordpress.com|5734|software|WORDPRESS;WORDPRESS COM;AUTOMATTIC
QuickBooks|quickbooks.intuit.com|5734|software|QUICKBOOKS;INTUIT QUICKBOOKS;QBOOKS;INTUIT QBOOKS;QBOOKS ONLINE
Xero|xero.com|5734|software|XERO
FreshBooks|freshbooks.com|5734|software|FRESHBOOKS
TurboTax|turbotax.intuit.com|5734|software|TURBOTAX;INTUIT TURBOTAX
Intuit|intuit.com|5734|software|INTUIT
Calendly|calendly.com|5734|software|CALENDLY
Loom|loom.com|5734|software|=LOOM COM;LOOM INC;LOOM SUBSCRIPTION
Webflow|webflow.com|5734|software|WEBFLOW
Typeform|typeform.com|5734|software|TYPEFORM
SurveyMonkey|surveymonkey.com|5734|software|SURVEYMONKEY;SURVEY MONKEY;MOMENTIVE
Zapier|zapier.com|5734|software|ZAPIER
Workday|workday.com|5734|software|WORKDAY
Meta|facebook.com|7311|advertising|FACEBOOK;FB ME ADS;FACEBK;FACEBK ADS;META ADS;META PLATFORMS;FACEBOOK ADS;FB ADS
Indeed|indeed.com|7361|advertising|INDEED;INDEED COM
Upwork|upwork.com|7399|contractors|UPWORK;UPWORK ESCROW
Fiverr|fiverr.com|7399|contractors|FIVERR
WeWork|wework.com|6513|coworking|WEWORK;WE WORK
Regus|regus.com|6513|coworking|REGUS;IWG
FedEx|fedex.com|4215|shipping|FEDEX;FEDEX OFFICE;FED EX
UPS|ups.com|4215|shipping|UPS;THE UPS STORE;UPS STORE;UPS COM
USPS|usps.com|9402|shipping|USPS;USPS PO;US POSTAL SERVICE;USPS COM;UNITED STATES POSTAL
DHL|dhl.com|4215|shipping|DHL;DHL EXPRESS
Royal Mail|royalmail.com|9402|shipping|ROYAL MAIL;ROYALMAIL
Stamps.com|stamps.com|9402|shipping|STAMPS COM;STAMPSCOM
Uline|uline.com|5085|wholesale|ULINE
Sysco|sysco.com|5141|wholesale|SYSCO
Restaurant Depot|restaurantdepot.com|5141|wholesale|RESTAURANT DEPOT
Grainger|grainger.com|5085|wholesale|GRAINGER;WW GRAINGER
Vistaprint|vistaprint.com|7311|advertising|VISTAPRINT
LegalZoom|legalzoom.com|8111|professional|LEGALZOOM;LEGAL ZOOM
Carta|carta.com|5734|software|CARTA;ESHARES
Expensify|expensify.com|5734|software|EXPENSIFY
Bill.com|bill.com|7399|professional|BILL COM;BILL COM INC
Rippling|rippling.com|7399|payroll|RIPPLING;RIPPLING PEO
Deel|deel.com|7399|payroll|DEEL;DEEL INC
Justworks|justworks.com|7399|payroll|JUSTWORKS;JUSTWORKS INC
TriNet|trinet.com|7399|payroll|TRINET;TRINET HR
Paylocity|paylocity.com|7399|payroll|PAYLOCITY;PAYLOCITY CORP
Paycom|paycom.com|7399|payroll|PAYCOM
Gusto|gusto.com|7399|payroll|GUSTO;ZENPAYROLL;GUSTO COM
ADP|adp.com|7399|payroll|ADP;ADP PAYROLL;ADP WAGE PAY;ADP TX FINCL SVC;ADP FEES;AUTOMATIC DATA PROCESSING
Paychex|paychex.com|7399|payroll|PAYCHEX;PAYCHEX INC;PAYCHEX EIB
Dayforce|dayforce.com|7399|payroll|DAYFORCE;CERIDIAN
UKG|ukg.com|7399|payroll|UKG;ULTIMATE SOFTWARE;ULTIPRO
Sage|sage.com|5734|payroll|=SAGE;SAGE PAYROLL;SAGE SOFTWARE;SAGE UK
BambooHR|bamboohr.com|5734|software|BAMBOOHR;BAMBOO HR
OnPay|onpay.com|7399|payroll|ONPAY
QuickBooks Payroll|quickbooks.intuit.com/payroll|7399|payroll|QB PAYROLL;INTUIT PAYROLL;QUICKBOOKS PAYROLL;INTUIT PYRL
Con Edison|coned.com|4900|utilities|CON ED;CONED;CON EDISON;CONSOLIDATED EDISON
PG&E|pge.com|4900|utilities|PG&E;PGE;PGANDE;PACIFIC GAS & ELECTRIC;PACIFIC GAS AND ELECTRIC;PACIFIC GAS
Duke Energy|duke-energy.com|4900|utilities|DUKE ENERGY;DUKE ENERGY CORP
Southern California Edison|sce.com|4900|utilities|SO CAL EDISON;SOUTHERN CALIFORNIA EDISON;SCE
Dominion Energy|dominionenergy.com|4900|utilities|DOMINION ENERGY;DOMINION
Xcel Energy|xcelenergy.com|4900|utilities|XCEL ENERGY;XCEL
National Grid|nationalgrid.com|4900|utilities|NATIONAL GRID;NATIONALGRID;NGRID
Georgia Power|georgiapower.com|4900|utilities|GEORGIA POWER
Florida Power & Light|fpl.com|4900|utilities|FPL;FLORIDA POWER & LIGHT;FLORIDA POWER
ComEd|comed.com|4900|utilities|COMED;COMMONWEALTH EDISON
PSE&G|pseg.com|4900|utilities|PSE&G;PSEG;PSE & G
Eversource|eversource.com|4900|utilities|EVERSOURCE;EVERSOURCE ENERGY
Entergy|entergy.com|4900|utilities|ENTERGY
Ameren|ameren.com|4900|utilities|AMEREN
DTE Energy|dteenergy.com|4900|utilities|DTE ENERGY;DTE
Consumers Energy|consumersenergy.com|4900|utilities|CONSUMERS ENERGY
SoCalGas|socalgas.com|4900|utilities|SOCALGAS;SO CAL GAS;SOCAL GAS;SOUTHERN CALIFORNIA GAS
American Water|amwater.com|4900|utilities|AMERICAN WATER;AMWATER
Waste Management|wm.com|4900|utilities|WASTE MANAGEMENT;WM EZPAY;WM COM
Republic Services|republicservices.com|4900|utilities|REPUBLIC SERVICES;REPUBLIC SVCS
British Gas|britishgas.co.uk|4900|utilities|BRITISH GAS;BRITISHGAS;BRIT GAS
EDF|edfenergy.com|4900|utilities|EDF;EDF ENERGY;EDF ENERGIE
E.ON|eonenergy.com|4900|utilities|EON;E ON;E ON NEXT;EON NEXT;E ON ENERGY;EON ENERGY
Octopus Energy|octopus.energy|4900|utilities|OCTOPUS ENERGY;OCTOPUS ENERGY LTD
OVO Energy|ovoenergy.com|4900|utilities|OVO;OVO ENERGY
ScottishPower|scottishpower.co.uk|4900|utilities|SCOTTISHPOWER;SCOTTISH POWER
Thames Water|thameswater.co.uk|4900|utilities|THAMES WATER
Severn Trent|stwater.co.uk|4900|utilities|SEVERN TRENT;SEVERN TRENT WATER
Anglian Water|anglianwater.co.uk|4900|utilities|ANGLIAN WATER
United Utilities|unitedutilities.com|4900|utilities|UNITED UTILITIES
Engie|engie.com|4900|utilities|ENGIE
Vattenfall|vattenfall.com|4900|utilities|VATTENFALL
Iberdrola|iberdrola.com|4900|utilities|IBERDROLA
Enel|enel.com|4900|utilities|ENEL;ENEL ENERGIA
Veolia|veolia.com|4900|utilities|VEOLIA
Verizon|verizon.com|4814|telecom|VERIZON;VZWRLSS;VZ WIRELESS;VERIZON WIRELESS;VZW;VERIZON WRLS
AT&T|att.com|4814|telecom|AT&T;ATT;AT T;AT&T MOBILITY;ATT BILL PAYMENT;AT & T
T-Mobile|t-mobile.com|4814|telecom|T MOBILE;TMOBILE;T MOBILE USA
Xfinity|xfinity.com|4899|internet|COMCAST;XFINITY;COMCAST CABLE;COMCAST XFINITY
Spectrum|spectrum.com|4899|internet|SPECTRUM;CHARTER COMMUNICATIONS;CHARTER COMM;CHARTER SPECTRUM
Cox Communications|cox.com|4899|internet|=COX COMM;COX COMMUNICATIONS;COX CABLE;COX COM
Optimum|optimum.net|4899|internet|OPTIMUM;ALTICE;OPTIMUM CABLE
Frontier Communications|frontier.com|4814|internet|=FRONTIER COMM;FRONTIER COMMUNICATIONS;FRONTIER COM
CenturyLink|centurylink.com|4814|internet|CENTURYLINK;CENTURY LINK;LUMEN
DIRECTV|directv.com|4899|internet|DIRECTV;DIRECT TV
DISH Network|dish.com|4899|internet|=DISH NETWORK;DISH COM;DISH NTWK
Mint Mobile|mintmobile.com|4814|telecom|MINT MOBILE;MINTMOBILE
Cricket Wireless|cricketwireless.com|4814|telecom|CRICKET WIRELESS;CRICKET
Metro by T-Mobile|metrobyt-mobile.com|4814|telecom|METROPCS;METRO PCS;METRO BY T MOBILE
Boost Mobile|boostmobile.com|4814|telecom|BOOST MOBILE
Visible|visible.com|4814|telecom|=VISIBLE WIRELESS;VISIBLE COM;VISIBLE SERVICE
Vodafone|vodafone.com|4814|telecom|VODAFONE;VODAFONE LTD
EE|ee.co.uk|4814|telecom|=EE LIMITED;EE LTD;EE MOBILE;EE CO UK
O2|o2.co.uk|4814|telecom|O2;O2 UK;TELEFONICA UK;O2 CO UK
Three|three.co.uk|4814|telecom|=THREE UK;THREE CO UK;H3G;HUTCHISON 3G;THREE MOBILE
BT|bt.com|4814|internet|=BT GROUP;BT PLC;BT BROADBAND;BRITISH TELECOM;BT COM;BT BILL
Virgin Media|virginmedia.com|4899|internet|VIRGIN MEDIA;VIRGINMEDIA
TalkTalk|talktalk.co.uk|4814|internet|TALKTALK;TALK TALK
giffgaff|giffgaff.com|4814|telecom|GIFFGAFF
Sky|sky.com|4899|internet|=SKY DIGITAL;SKY UK;SKY SUBSCRIPTION;SKY BROADBAND;SKY TV;SKY MOBILE;SKY COM
Orange|orange.fr|4814|telecom|=ORANGE SA;ORANGE FRANCE;ORANGE TELECOM;ORANGE FR;ORANGE MOBILE
Deutsche Telekom|telekom.de|4814|telecom|TELEKOM;DEUTSCHE TELEKOM;TELEKOM DEUTSCHLAND
Movistar|movistar.es|4814|telecom|MOVISTAR;TELEFONICA
SFR|sfr.fr|4814|telecom|SFR
Bouygues Telecom|bouyguestelecom.fr|4814|telecom|BOUYGUES TELECOM;BOUYGUES TEL
Free|free.fr|4814|telecom|=FREE MOBILE;FREE TELECOM;FREE FR;FREEBOX
KPN|kpn.com|4814|telecom|KPN
Swisscom|swisscom.ch|4814|telecom|SWISSCOM
GEICO|geico.com|6300|insurance|GEICO;GEICO AUTO
State Farm|statefarm.com|6300|insurance|STATE FARM;STATE FARM INSURANCE;STATE FARM RO
Progressive|progressive.com|6300|insurance|PROGRESSIVE;PROG DIRECT;PROGRESSIVE INS;PROGRESSIVE INSURANCE
Allstate|allstate.com|6300|insurance|ALLSTATE;ALLSTATE INS
Liberty Mutual|libertymutual.com|6300|insurance|LIBERTY MUTUAL
Farmers Insurance|farmers.com|6300|insurance|=FARMERS INS;FARMERS INSURANCE;FARMERS INS GROUP
Nationwide|nationwide.com|6300|insurance|=NATIONWIDE INS;NATIONWIDE MUTUAL;NATIONWIDE INSURANCE
Lemonade|lemonade.com|6300|insurance|=LEMONADE INS;LEMONADE INSURANCE;LEMONADE INC
Travelers|travelers.com|6300|insurance|=TRAVELERS INS;TRAVELERS INSURANCE;TRAVELERS CL
Aetna|aetna.com|6300|insurance|AETNA
Cigna|cigna.com|6300|insurance|CIGNA
UnitedHealthcare|uhc.com|6300|insurance|UNITEDHEALTHCARE;UNITED HEALTHCARE;UHC
Blue Cross Blue Shield|bcbs.com|6300|insurance|BCBS;BLUE CROSS;BLUE SHIELD;BLUE CROSS BLUE SHIELD
Humana|humana.com|6300|insurance|HUMANA
MetLife|metlife.com|6300|insurance|METLIFE;MET LIFE
Prudential|prudential.com|6300|insurance|PRUDENTIAL
Northwestern Mutual|northwesternmutual.com|6300|insurance|NORTHWESTERN MUTUAL;NW MUTUAL
Aviva|aviva.co.uk|6300|insurance|AVIVA
Direct Line|directline.com|6300|insurance|DIRECT LINE;DIRECTLINE
Admiral|admiral.com|6300|insurance|ADMIRAL;ADMIRAL INSURANCE
Legal & General|legalandgeneral.com|6300|insurance|LEGAL & GENERAL;LEGAL AND GENERAL;L&G
AXA|axa.com|6300|insurance|AXA;AXA INSURANCE
Allianz|allianz.com|6300|insurance|ALLIANZ
Zurich Insurance|zurich.com|6300|insurance|=ZURICH INSURANCE;ZURICH INS;ZURICH ASSURANCE
Generali|generali.com|6300|insurance|GENERALI
Hiscox|hiscox.com|6300|insurance|HISCOX
Next Insurance|nextinsurance.com|6300|insurance|NEXT INSURANCE;NEXT INS
Bupa|bupa.co.uk|6300|insurance|BUPA
Rocket Mortgage|rocketmortgage.com|6012|mortgage|ROCKET MORTGAGE;QUICKEN LOANS;ROCKET MTG
Mr. Cooper|mrcooper.com|6012|mortgage|MR COOPER;MRCOOPER;NATIONSTAR
Chase|chase.com|6012|bank|CHASE;JPMORGAN CHASE;JPMORGAN;CHASE CREDIT CRD;CHASE CARD;CHASE BANK
Bank of America|bankofamerica.com|6012|bank|BANK OF AMERICA;BOFA;BK OF AMER;BANKAMERICA;BA ELECTRONIC PAYMENT
Wells Fargo|wellsfargo.com|6012|bank|WELLS FARGO;WF CREDIT CARD;WELLSFARGO
Citi|citi.com|6012|bank|CITI;CITIBANK;CITI CARD;CITICARDS;CITI AUTOPAY
Capital One|capitalone.com|6012|bank|CAPITAL ONE;CAPITALONE;CAP ONE;CAPITAL ONE MOBILE
American Express|americanexpress.com|6012|bank|AMEX;AMERICAN EXPRESS;AMEX EPAYMENT;AMERICAN EXPRESS ACH
Discover|discover.com|6012|bank|=DISCOVER CARD;DISCOVER E PAYMENT;DISCOVER FINANCIAL;DISCOVER BANK;DISCOVER DC PYMNT;DISCOVER
U.S. Bank|usbank.com|6012|bank|US BANK;U S BANK;USBANK
PNC|pnc.com|6012|bank|PNC;PNC BANK
Truist|truist.com|6012|bank|TRUIST;TRUIST BANK
TD Bank|td.com|6012|bank|TD BANK;TD BANK NA
Ally|ally.com|6012|bank|ALLY;ALLY BANK;ALLY FINANCIAL
Synchrony|synchrony.com|6012|bank|SYNCHRONY;SYNCB;SYNCHRONY BANK
USAA|usaa.com|6012 6300|bank|USAA
Barclays|barclays.co.uk|6012|bank|BARCLAYS;BARCLAYCARD;BARCLAYS BANK
HSBC|hsbc.com|6012|bank|HSBC;HSBC BANK
Lloyds Bank|lloydsbank.com|6012|bank|LLOYDS;LLOYDS BANK;LLOYDS TSB
NatWest|natwest.com|6012|bank|NATWEST;NAT WEST
Santander|santander.com|6012|bank|SANTANDER;SANTANDER UK
Halifax|halifax.co.uk|6012|bank|HALIFAX
Nationwide Building Society|nationwide.co.uk|6012|bank|NATIONWIDE;NATIONWIDE BUILDING SOCIETY;NATIONWIDE BS
Monzo|monzo.com|6012|bank|MONZO;MONZO BANK
Revolut|revolut.com|6012|bank|REVOLUT;REVOLUT LTD
Starling Bank|starlingbank.com|6012|bank|STARLING;STARLING BANK
Chime|chime.com|6012|bank|CHIME;CHIME BANK
SoFi|sofi.com|6012|bank|SOFI;SOFI BANK
N26|n26.com|6012|bank|N26
Robinhood|robinhood.com|6211|investments|ROBINHOOD;ROBINHOOD MARKETS
Coinbase|coinbase.com|6051|investments|COINBASE;COINBASE INC
Fidelity|fidelity.com|6211|investments|FIDELITY;FID BKG SVC;FIDELITY INVESTMENTS
Vanguard|vanguard.com|6211|investments|VANGUARD;VANGUARD GROUP
Charles Schwab|schwab.com|6211|investments|SCHWAB;CHARLES SCHWAB;SCHWAB BROKERAGE
E*TRADE|etrade.com|6211|investments|ETRADE;E TRADE
Acorns|acorns.com|6211|investments|ACORNS;ACORNS INVEST
Betterment|betterment.com|6211|investments|BETTERMENT
Wealthfront|wealthfront.com|6211|investments|WEALTHFRONT
Kraken|kraken.com|6051|investments|KRAKEN;PAYWARD
Binance|binance.com|6051|investments|BINANCE
Trading 212|trading212.com|6211|investments|TRADING 212;TRADING212
eToro|etoro.com|6211|investments|ETORO
Hargreaves Lansdown|hl.co.uk|6211|investments|HARGREAVES LANSDOWN;HARGREAVES
Navient|navient.com|6141|loan|NAVIENT;NAVIENT SOLUTIONS
Nelnet|nelnet.com|6141|loan|NELNET;NELNET STUDENT LOAN
Sallie Mae|salliemae.com|6141|loan|SALLIE MAE;SALLIEMAE
MOHELA|mohela.com|6141|loan|MOHELA
Upstart|upstart.com|6141|loan|UPSTART;UPSTART NETWORK
LendingClub|lendingclub.com|6141|loan|LENDINGCLUB;LENDING CLUB
Prosper|prosper.com|6141|loan|=PROSPER FUNDING;PROSPER MARKETPLACE;PROSPER LOAN
Toyota Financial Services|toyotafinancial.com|6141|loan|TOYOTA FINANCIAL;TOYOTA FIN;TOYOTA MOTOR CREDIT;TFS
Honda Financial Services|hondafinancialservices.com|6141|loan|HONDA FINANCIAL;AMERICAN HONDA FIN;HONDA PMT;AHFC
Ford Credit|fordcredit.com|6141|loan|FORD CREDIT;FORD MOTOR CREDIT;FORD CRED
GM Financial|gmfinancial.com|6141|loan|GM FINANCIAL;GM FIN
OnDeck|ondeck.com|6141|loan|ONDECK;ON DECK CAPITAL;ON DECK
Funding Circle|fundingcircle.com|6141|loan|FUNDING CIRCLE
Fundbox|fundbox.com|6141|loan|FUNDBOX
Brex|brex.com|6012|bank|BREX;BREX INC
Ramp|ramp.com|6012|bank|=RAMP;RAMP BUSINESS;RAMP CARD
Dave|dave.com|6141|loan|=DAVE INC;DAVE COM;DAVE SAFESPEND;DAVE APP
Brigit|hellobrigit.com|6141|loan|BRIGIT
EarnIn|earnin.com|6141|loan|EARNIN;ACTIVEHOURS;EARN IN
MoneyLion|moneylion.com|6141|loan|MONEYLION
Credit Karma|creditkarma.com|6012|bank|CREDIT KARMA
Internal Revenue Service|irs.gov|9311|taxes|IRS;IRS USATAXPYMT;USATAXPYMT;IRS TREAS;US TREASURY TAX;IRS TREAS 310;IRS TAX
HM Revenue & Customs|hmrc.gov.uk|9311|taxes|HMRC;HM REVENUE & CUSTOMS;HM REVENUE;HMRC GOV UK;HMRC VAT;HMRC PAYE;HMRC NDDS;HMRC SELF ASSESSMENT;HMRC CUMBERNAULD
Social Security Administration|ssa.gov|9399|benefits|SSA;SSA TREAS;SOC SEC;SOCIAL SECURITY;XXSOC SEC
Department for Work and Pensions|dwp.gov.uk|9399|benefits|DWP;DWP UC;DWP PIP;DWP JSA;DWP ESA;DWP STATE PENSION
California EDD|edd.ca.gov|9399|benefits|EDD;CA EDD;EDD UI;EMPLOYMENT DEVELOPMENT;EDD BENEFITS
California DMV|dmv.ca.gov|9399|government|DMV;CA DMV;DMV CA;CA DMV FEE;DEPT OF MOTOR VEHICLES
New York DMV|dmv.ny.gov|9399|government|NYS DMV;NY DMV;NEW YORK DMV;NYSDMV
DVLA|dvla.gov.uk|9399|government|DVLA;DVLA VEHICLE TAX;DVLA VEHICLE
Franchise Tax Board|ftb.ca.gov|9311|taxes|FRANCHISE TAX BD;FRANCHISE TAX BOARD;CA FTB;FTB
NYS Department of Taxation|tax.ny.gov|9311|taxes|NYS DTF;NYS DTF PIT;NY STATE TAX;NYS TAX
TV Licensing|tvlicensing.co.uk|9399|government|TV LICENCE;TV LICENSING;TVL;TV LICENCE MBP
Companies House|companieshouse.gov.uk|9399|government|COMPANIES HOUSE
USCIS|uscis.gov|9399|government|USCIS;US CITIZENSHIP
Finanzamt|bzst.de|9311|taxes|FINANZAMT;BZST
DGFiP|impots.gouv.fr|9311|taxes|DGFIP;DGFIP IMPOT;IMPOTS GOUV;DGFIP FINANCES PUBLIQUES
American Red Cross|redcross.org|8398|charity|AMERICAN RED CROSS;RED CROSS
GoFundMe|gofundme.com|8398|charity|GOFUNDME;GO FUND ME
UNICEF|unicef.org|8398|charity|UNICEF
Oxfam|oxfam.org.uk|8398|charity|OXFAM
The Salvation Army|salvationarmyusa.org|8398|charity|SALVATION ARMY;THE SALVATION ARMY
Cancer Research UK|cancerresearchuk.org|8398|charity|CANCER RESEARCH UK;CANCER RESEARCH
Wikimedia Foundation|wikimedia.org|8398|charity|WIKIMEDIA;WIKIPEDIA;WIKIMEDIA FOUNDATION
St. Jude Children's Research Hospital|stjude.org|8398|charity|ST JUDE;ST JUDE CHILDRENS;ALSAC ST JUDE
Coursera|coursera.org|8299|education|COURSERA
Udemy|udemy.com|8299|education|UDEMY
Chegg|chegg.com|8299|education|CHEGG
MasterClass|masterclass.com|8299|education|MASTERCLASS
Pearson|pearson.com|8299|education|PEARSON;PEARSON EDUCATION
Bright Horizons|brighthorizons.com|8351|childcare|BRIGHT HORIZONS
KinderCare|kindercare.com|8351|childcare|KINDERCARE;KINDER CARE
Care.com|care.com|8351|childcare|CARE COM
"""

# Payment intermediaries: processors, wallets, delivery and buy-now-pay-later apps acting between the
# account holder and the counterparty. Same line format; ``hint`` applies when the intermediary is itself
# the counterparty.
INTERMEDIARIES = """
Square|squareup.com|6012|processor|SQUARE;SQUAREUP;SQUARE INC;SQ
Toast|toasttab.com|5734|processor|=TOAST;TOASTTAB;TOAST INC;TOAST TAB
Shopify|shopify.com|5734|processor|SHOPIFY;SHOPIFY INC;SHOPIFY PAYMENTS
PayPal|paypal.com|6012|processor|PAYPAL;PAYPAL INST XFER;PAYPAL TRANSFER;PAYPAL INC
Stripe|stripe.com|6012|processor|STRIPE;STRIPE PAYMENTS;STRIPE TRANSFER;STRIPE PAYOUT
Clover|clover.com|6012|processor|=CLOVER;CLOVER NETWORK;CLV
Zettle|zettle.com|6012|processor|ZETTLE;IZETTLE
SumUp|sumup.com|6012|processor|SUMUP;SUM UP
Paddle|paddle.com|6012|processor|PADDLE;PADDLE NET;PADDLE COM
FastSpring|fastspring.com|6012|processor|FASTSPRING
Braintree|braintreepayments.com|6012|processor|BRAINTREE
Google Pay|pay.google.com|6012|processor|GOOGLE PAY;GPAY
Apple Pay|apple.com/apple-pay|6012|processor|APPLE PAY;APLPAY
Amazon Pay|pay.amazon.com|6012|processor|AMAZON PAY;AMZN PAY
Google Play|play.google.com|5818|digital|GOOGLE PLAY;GOOGLE
Uber Eats|ubereats.com|5814|food_delivery|UBER EATS;UBEREATS;UBER EAT
DoorDash|doordash.com|5814|food_delivery|DOORDASH;DOOR DASH;DASHPASS;DOORDASH DASHPASS
Grubhub|grubhub.com|5814|food_delivery|GRUBHUB;GRUBHUBFOOD;GRUBHUB HOLDINGS;SEAMLESS
Deliveroo|deliveroo.com|5814|food_delivery|DELIVEROO;DELIVEROO CO UK
Just Eat|just-eat.co.uk|5814|food_delivery|JUST EAT;JUSTEAT;JUST EAT CO UK
Postmates|postmates.com|5814|food_delivery|POSTMATES
Wolt|wolt.com|5814|food_delivery|WOLT
Klarna|klarna.com|6012|bnpl|KLARNA
Afterpay|afterpay.com|6012|bnpl|AFTERPAY;AFTRPAY
Affirm|affirm.com|6012|bnpl|AFFIRM;AFFIRM INC;AFFIRM PAY
Clearpay|clearpay.co.uk|6012|bnpl|CLEARPAY
Zip|zip.co|6012|bnpl|=ZIP CO;ZIP PAY;QUADPAY;ZIP US
Sezzle|sezzle.com|6012|bnpl|SEZZLE
Eventbrite|eventbrite.com|7922|entertainment|EVENTBRITE
Venmo|venmo.com|6012|p2p|VENMO
Zelle|zellepay.com|6012|p2p|ZELLE
Cash App|cash.app|6012|p2p|CASH APP;CASHAPP;SQUARE CASH;SQC
Wise|wise.com|6012|p2p|WISE;TRANSFERWISE;WISE PAYMENTS;WISE COM
Western Union|westernunion.com|4829|p2p|WESTERN UNION;WU
Remitly|remitly.com|4829|p2p|REMITLY
Bill.com Payments|bill.com/payments|7399|processor|=BILL COM PAYABLES;BILL COM RECEIVABLES
"""
