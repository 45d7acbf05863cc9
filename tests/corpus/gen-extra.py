#!/usr/bin/env python3
"""Writes extra.jsonl: requests of the corpus's kinds against extra-catalog.csv (another SKU
prefix, other names and categories, the same traps), with expectations computed here from the
catalog with Python decimal and ROUND_HALF_UP, following ../shared/corpus/README.md.

    python3 tests/corpus/gen-extra.py > tests/corpus/extra.jsonl
"""
import csv
import json
import os
from decimal import Decimal, ROUND_HALF_UP

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "extra-catalog.csv"), newline="") as f:
    ROWS = {r["SKU"]: r for r in csv.DictReader(f)}
ORDER = list(ROWS)


def money(d):
    return float(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def base(sku):
    return Decimal(ROWS[sku]["Base Price"])


def same_price(a, b):
    return a != "" and b != "" and Decimal(a) == Decimal(b)


class Plan:
    """Expected changes of one request, with the price depth of each for the tier."""

    def __init__(self):
        self.changes = {}
        self.depths = []
        self.created = False

    def set(self, sku, field, after):
        cur = ROWS[sku][field] if sku in ROWS else ""
        if field in ("Promo Price", "Base Price"):
            if after != "" and same_price(cur, str(after)):
                return
        elif str(cur).upper() == str(after).upper():
            return
        if after == "" and cur == "":
            return
        self.changes[(sku, field)] = after

    def promo(self, skus, price_of):
        for s in skus:
            new = price_of(s)
            self.set(s, "Promo Price", money(new))
            self.set(s, "Promo Active", "TRUE")
            if (s, "Promo Price") in self.changes:
                self.depths.append(abs(base(s) - Decimal(str(money(new)))) / base(s) * 100)

    def pct(self, skus, p):
        self.promo(skus, lambda s: base(s) * (1 - Decimal(p) / 100))
        return self

    def off(self, skus, amount):
        self.promo(skus, lambda s: base(s) - Decimal(amount))
        return self

    def at(self, skus, price):
        self.promo(skus, lambda s: Decimal(price))
        return self

    def end(self, skus):
        for s in skus:
            self.set(s, "Promo Active", "FALSE")
            self.set(s, "Promo Price", "")
        return self

    def activate(self, skus):
        for s in skus:
            self.set(s, "Promo Active", "TRUE")
        return self

    def inv(self, skus, state):
        for s in skus:
            self.set(s, "Inventory", state)
        return self

    def base_to(self, skus, new, f=lambda b, n: n):
        for s in skus:
            value = Decimal(str(money(f(base(s), Decimal(new)))))
            self.set(s, "Base Price", float(value))
            if (s, "Base Price") in self.changes:
                self.depths.append(abs(value - base(s)) / base(s) * 100)
        return self

    def base_pct(self, skus, p):
        return self.base_to(skus, p, lambda b, n: b * (1 + n / 100))

    def base_amt(self, skus, a):
        return self.base_to(skus, a, lambda b, n: b + n)

    def create(self, sku, name, category, price, inventory="in_stock"):
        self.created = True
        for field, after in [("SKU", sku), ("Name", name), ("Category", category),
                             ("Base Price", float(Decimal(price))), ("Promo Active", "FALSE"),
                             ("Inventory", inventory)]:
            self.changes[(sku, field)] = after
        return self

    def expect(self, notify=False):
        keys = {k for k, _ in self.changes}
        if not keys:
            tier = 1 if notify else 0
        elif len(keys) > 1 or any(d > 25 for d in self.depths):
            tier = 3
        else:
            tier = 2
        changes = [{"key": k, "field": f, "after": a} for (k, f), a in sorted(self.changes.items())]
        return {"tier": tier, "changes": changes}


def cat(name):
    return [s for s in ORDER if ROWS[s]["Category"] == name]


def where(pred):
    return [s for s in ORDER if pred(ROWS[s])]


P = Plan
ERR = {"error": True}
ALL = ORDER
CASES = [
    # discounts
    ("discount", "take 25% off the Summit Pack", P().pct(["PK-1001"], 25).expect()),
    ("discount", "knock 20 percent off everything in Tents", P().pct(cat("Tents"), 20).expect()),
    ("discount", "give all backpacks 10% off", P().pct(cat("Backpacks"), 10).expect()),
    ("discount", "15% off all boots", P().pct(cat("Boots"), 15).expect()),
    ("discount", "Apply a 30% discount to PK-1009", P().pct(["PK-1009"], 30).expect()),
    ("discount", "discount PK-1012 by 15%", P().pct(["PK-1012"], 15).expect()),
    ("discount", "10% off accessories under $50", P().pct(where(lambda r: r["Category"] == "Accessories" and Decimal(r["Base Price"]) < 50), 10).expect()),
    ("discount", "20% off out-of-stock items", P().pct(where(lambda r: r["Inventory"] == "out_of_stock"), 20).expect()),
    ("discount", "5% off everything over $200", P().pct(where(lambda r: Decimal(r["Base Price"]) > 200), 5).expect()),
    ("discount", "$15 off the Rain Shell", P().off(["PK-1008"], 15).expect()),
    ("discount", "knock $10 off PK-1010 and PK-1011", P().off(["PK-1010", "PK-1011"], 10).expect()),
    ("discount", "take 12.5% off Summit Pack Pro", P().pct(["PK-1002"], Decimal("12.5")).expect()),
    ("discount", "mark the Trail Boot down by 10%", P().pct(["PK-1009"], 10).expect()),
    ("discount", "20% off Day Tripper, Headlamp and Camp Stove", P().pct(["PK-1003", "PK-1011", "PK-1012"], 20).expect()),
    ("discount", "twenty percent off the Headlamp", P().pct(["PK-1011"], 20).expect()),
    ("discount", "apply a $5 discount to PK-1010", P().off(["PK-1010"], 5).expect()),
    ("discount", "set PK-1013 to 10% off", P().pct(["PK-1013"], 10).expect()),
    # promo prices
    ("promo_price", "mark down PK-1009 to $150", P().at(["PK-1009"], 150).expect()),
    ("promo_price", "put PK-1004 on sale for $279", P().at(["PK-1004"], 279).expect()),
    ("promo_price", "set the promo price of Storm Shell to 189.00", P().at(["PK-1006"], 189).expect()),
    ("promo_price", "promo price for the camp stove: $50", P().at(["PK-1012"], 50).expect()),
    ("promo_price", "put all jackets on promo at $89.90", P().at(cat("Jackets"), "89.90").expect()),
    ("promo_price", "put PK-1005 on promo", P().activate(["PK-1005"]).expect()),
    ("promo_price", "set promo price of PK-1005 to 229.99 and activate it", P().activate(["PK-1005"]).expect()),
    # end promo
    ("end_promo", "end the promo on the Down Puffer", P().end(["PK-1007"]).expect()),
    ("end_promo", "take PK-1005 off promo", P().end(["PK-1005"]).expect()),
    ("end_promo", "remove the discounts from all accessories", P().end(cat("Accessories")).expect()),
    ("end_promo", "end all promos", P().end(ALL).expect()),
    ("end_promo", "put the Day Tripper back to regular price", P().end(["PK-1003"]).expect()),
    ("end_promo", "cancel the promotions in the Backpacks category", P().end(cat("Backpacks")).expect()),
    ("end_promo", "stop the promotion on Camp Stove", P().end(["PK-1012"]).expect()),
    # inventory
    ("inventory", "PK-1016 only has 7 left", P().inv(["PK-1016"], "low_stock").expect()),
    ("inventory", "we're out of the Summit Pack", P().inv(["PK-1001"], "out_of_stock").expect()),
    ("inventory", "mark PK-1004 in stock", P().inv(["PK-1004"], "in_stock").expect()),
    ("inventory", "the Storm Shelter is sold out", P().inv(["PK-1005"], "out_of_stock").expect()),
    ("inventory", "discontinue the Boot Dryer", P().inv(["PK-1010"], "discontinued").expect()),
    ("inventory", "we only have 4 Headlamps left", P().inv(["PK-1011"], "low_stock").expect()),
    ("inventory", "only 2 units of PK-1009 left", P().inv(["PK-1009"], "low_stock").expect()),
    ("inventory", "set inventory of PK-1016 to 25 units", P().inv(["PK-1016"], "in_stock").expect()),
    ("inventory", "PK-1001 stock is down to 0", P().inv(["PK-1001"], "out_of_stock").expect()),
    ("inventory", "mark all tents as pre-order", P().inv(cat("Tents"), "pre_order").expect()),
    ("inventory", "mark items that are low on stock as out of stock", P().inv(where(lambda r: r["Inventory"] == "low_stock"), "out_of_stock").expect()),
    ("inventory", "PK-1011 and PK-1016: mark them in stock", P().inv(["PK-1011", "PK-1016"], "in_stock").expect()),
    # base prices
    ("base_price", "raise the base price of PK-1011 to $29.95", P().base_to(["PK-1011"], "29.95").expect()),
    ("base_price", "lower the list price of all tents by 10%", P().base_pct(cat("Tents"), -10).expect()),
    ("base_price", "increase the regular price of Rain Shell by $10", P().base_amt(["PK-1008"], 10).expect()),
    ("base_price", "change the price of PK-1013 to $99", P().base_to(["PK-1013"], 99).expect()),
    ("base_price", "knock $20 off the base price of the Trail Boot", P().base_amt(["PK-1009"], -20).expect()),
    ("base_price", "raise the base price of PK-1001 to $100", ERR),
    ("base_price", "make the price of PK-1010 $44.99", P().base_to(["PK-1010"], "44.99").expect()),
    # create
    ("create", "add PK-2005 Trail Mug to Accessories for $14.50, low stock", P().create("PK-2005", "Trail Mug", "Accessories", "14.50", "low_stock").expect()),
    ("create", "add a new product PK-2001 Glacier Pack in Backpacks at $210", P().create("PK-2001", "Glacier Pack", "Backpacks", "210").expect()),
    ("create", "create PK-2002 Bivy Sack, category Tents, base price 149.95, pre-order", P().create("PK-2002", "Bivy Sack", "Tents", "149.95", "pre_order").expect()),
    ("create", "new product: PK-2003 Fleece Hood, Jackets, $59.50", P().create("PK-2003", "Fleece Hood", "Jackets", "59.50").expect()),
    ("create", "add PK-1003 Day Tripper 2 in Backpacks at $89", ERR),
    ("create", "add a new product PK-2004 Sun Hat in Hats at $25", ERR),
    # multi
    ("multi", "mark PK-1006 in stock and give it 10% off", P().inv(["PK-1006"], "in_stock").pct(["PK-1006"], 10).expect()),
    ("multi", "end the promo on PK-1007; put PK-1001 on promo at $129", P().end(["PK-1007"]).at(["PK-1001"], 129).expect()),
    ("multi", "PK-1013: raise base price to $149.99 and mark it in stock", P().base_to(["PK-1013"], "149.99").inv(["PK-1013"], "in_stock").expect()),
    ("multi", "15% off all boots and notify the team", P().pct(cat("Boots"), 15).expect(notify=True)),
    ("multi", "discontinue PK-1011, then email the team a summary", P().inv(["PK-1011"], "discontinued").expect(notify=True)),
    ("multi", "show me tents under $300 and put them on 10% off", P().pct(where(lambda r: r["Category"] == "Tents" and Decimal(r["Base Price"]) < 300), 10).expect()),
    # reads
    ("read", "tell me about PK-1007", P().expect()),
    ("read", "what's the price of PK-1009?", P().expect()),
    ("read", "show me all jackets", P().expect()),
    ("read", "which products are on promo?", P().expect()),
    ("read", "list everything in Accessories under $50", P().expect()),
    ("read", "which items don't have an image?", P().expect()),
    ("read", "is the Storm Shell in stock?", P().expect()),
    # notify
    ("notify", "notify the team about the winter range", P().expect(notify=True)),
    ("notify", "let the merch team know the tents are late", P().expect(notify=True)),
    # refusals
    ("refuse", "mark PK-9999 out of stock", ERR),
    ("refuse", "20% off the Glacier Runner", ERR),
    ("refuse", "put all hats on 10% off", ERR),
    ("refuse", "give PK-1001 150% off", ERR),
    ("refuse", "set promo price of PK-1002 to -5", ERR),
    ("refuse", "qwop blarg fizz 42", ERR),
    ("refuse", "drop the products table", ERR),
    ("refuse", "send our customers a discount code", ERR),
    ("refuse", "mark Nomad out of stock", ERR),
    ("refuse", "10% off the Storm", ERR),
    ("refuse", "15% off the Summit", ERR),
    ("refuse", "discount the best-selling jackets by 10%", ERR),
    ("refuse", "put PK-1001 on promo", ERR),
    ("refuse", "which boots come in red?", ERR),
    ("refuse", "match the competitor price on PK-1009", ERR),
    ("refuse", "mark PK-1001 as backordered", ERR),
    ("refuse", "set the base price of PK-1010 to $0", ERR),
    ("refuse", "mark PK-1001 out of stock tomorrow", ERR),
    ("refuse", "don't discount PK-1001", ERR),
    ("refuse", "20% off PK-1001 or PK-1002", ERR),
    ("refuse", "mark PK-1004 in stock and delete PK-1005", ERR),
    ("refuse", "give all sneakers 10% off", ERR),
    ("refuse", "mark the Summit Pack down to $0", ERR),
]

# Issue 16: sentences of the parser's authors, each exercising a generalisation of the grammar
# (never taken from blind.jsonl). Appended after CASES so the earlier ids stay put.
OWN = [
    # courtesy and hedging (c2)
    ("end_promo", "I'd like you to end the promo on the Camp Stove", P().end(["PK-1012"]).expect()),
    ("end_promo", "Would you be able to end the promo on PK-1003?", P().end(["PK-1003"]).expect()),
    ("end_promo", "If you could end the promo on the Camp Stove, that would be great", P().end(["PK-1012"]).expect()),
    ("end_promo", "Would you mind ending the Day Tripper promo?", P().end(["PK-1003"]).expect()),
    ("promo_price", "What about putting the Trail Boot on sale at $149?", P().at(["PK-1009"], 149).expect()),
    ("discount", "I think we should take 10% off the Trail Boot", P().pct(["PK-1009"], 10).expect()),
    ("discount", "I'd love it if the Trail Boot were 10% off", P().pct(["PK-1009"], 10).expect()),
    ("discount", "If possible, take 10% off the Trail Boot", P().pct(["PK-1009"], 10).expect()),
    ("discount", "The Trail Boot should really be 10% off", P().pct(["PK-1009"], 10).expect()),
    ("inventory", "Please make sure the Trail Boot is marked out of stock", P().inv(["PK-1009"], "out_of_stock").expect()),
    ("inventory", "Cheers, mark the Boot Dryer low stock", P().inv(["PK-1010"], "low_stock").expect()),
    ("end_promo", "It'd be good to end the promo on the Camp Stove", P().end(["PK-1012"]).expect()),
    ("end_promo", "The Camp Stove promo needs to end", P().end(["PK-1012"]).expect()),
    ("inventory", "We ought to discontinue the Boot Dryer", P().inv(["PK-1010"], "discontinued").expect()),
    ("refuse", "I'd appreciate it if the Camp Stove promo were ended", ERR),
    # state reports and counts (c1)
    ("inventory", "We're nearly out of the Trail Boot", P().inv(["PK-1009"], "low_stock").expect()),
    ("inventory", "The Summit Pack is down to the last 2", P().inv(["PK-1001"], "low_stock").expect()),
    ("inventory", "Out of stock: the Boot Dryer", P().inv(["PK-1010"], "out_of_stock").expect()),
    ("inventory", "Back in stock - PK-1016", P().inv(["PK-1016"], "in_stock").expect()),
    ("inventory", "The supplier has discontinued the Camp Stove", P().inv(["PK-1012"], "discontinued").expect()),
    ("inventory", "We're taking pre-orders for the Alpine Dome", P().inv(["PK-1004"], "pre_order").expect()),
    ("inventory", "Pre-orders are open for the Trail Boot", P().inv(["PK-1009"], "pre_order").expect()),
    ("inventory", "The Trekking Poles have arrived", P().inv(["PK-1016"], "in_stock").expect()),
    ("inventory", "The Alpine Dome is fully stocked", P().inv(["PK-1004"], "in_stock").expect()),
    ("inventory", "We have no Day Trippers in stock", P().inv(["PK-1003"], "out_of_stock").expect()),
    ("inventory", "Boot Dryer stock is empty", P().inv(["PK-1010"], "out_of_stock").expect()),
    ("inventory", "Trail Boot inventory is running low", P().inv(["PK-1009"], "low_stock").expect()),
    ("inventory", "We have 4 Trail Boots remaining in stock", P().inv(["PK-1009"], "low_stock").expect()),
    ("inventory", "Received 20 Trekking Poles", P().inv(["PK-1016"], "in_stock").expect()),
    ("inventory", "The Summit Pack has been restocked with 3 units", P().inv(["PK-1001"], "low_stock").expect()),
    ("inventory", "Move the Rain Shell from pre-order to in stock", P().inv(["PK-1008"], "in_stock").expect()),
    ("inventory", "The Summit Pack and the Day Tripper are both low", P().inv(["PK-1001", "PK-1003"], "low_stock").expect()),
    ("inventory", "Inventory update: PK-1009 is at 3 units", P().inv(["PK-1009"], "low_stock").expect()),
    ("inventory", "We're phasing out the Boot Dryer", P().inv(["PK-1010"], "discontinued").expect()),
    ("inventory", "Start taking pre-orders for PK-1009", P().inv(["PK-1009"], "pre_order").expect()),
    ("inventory", "The Alpine Dome is available to order again", P().inv(["PK-1004"], "in_stock").expect()),
    ("inventory", "We're left with 3 Summit Packs", P().inv(["PK-1001"], "low_stock").expect()),
    ("inventory", "There's none of the Headlamp left", P().inv(["PK-1011"], "out_of_stock").expect()),
    ("inventory", "Stop selling the Boot Dryer", P().inv(["PK-1010"], "discontinued").expect()),
    ("inventory", "No more Camp Stoves left", P().inv(["PK-1012"], "out_of_stock").expect()),
    ("inventory", "The Trail Boot sold out and the Boot Dryer is running low", P().inv(["PK-1009"], "out_of_stock").inv(["PK-1010"], "low_stock").expect()),
    ("inventory", "The Summit Pack is sold out, the Camp Stove is low", P().inv(["PK-1001"], "out_of_stock").inv(["PK-1012"], "low_stock").expect()),
    ("inventory", "We just took delivery of 25 Alpine Domes", P().inv(["PK-1004"], "in_stock").expect()),
    ("inventory", "A pallet of 48 Trekking Poles just arrived", P().inv(["PK-1016"], "in_stock").expect()),
    ("inventory", "Only two Trail Boots are left on the shelf", P().inv(["PK-1009"], "low_stock").expect()),
    ("inventory", "The supplier no longer makes the Boot Dryer", P().inv(["PK-1010"], "discontinued").expect()),
    ("inventory", "Trekking Poles have been replenished", P().inv(["PK-1016"], "in_stock").expect()),
    ("inventory", "40 Alpine Domes were added to stock", P().inv(["PK-1004"], "in_stock").expect()),
    ("inventory", "There's no stock left of the Camp Stove", P().inv(["PK-1012"], "out_of_stock").expect()),
    ("inventory", "Pre-orders for the Trail Boot start now", P().inv(["PK-1009"], "pre_order").expect()),
    ("refuse", "The Trail Boot sold out and the Glacier Boot is running low", ERR),
    ("inventory", "PK-1013: 12 units", P().inv(["PK-1013"], "in_stock").expect()),
    ("inventory", "Trail Boot - 3 units in stock", P().inv(["PK-1009"], "low_stock").expect()),
    ("inventory", "Record 0 units for the Boot Dryer", P().inv(["PK-1010"], "out_of_stock").expect()),
    ("inventory", "The Summit Pack has dropped to 2 units", P().inv(["PK-1001"], "low_stock").expect()),
    ("inventory", "Retire PK-1010 from the catalog", P().inv(["PK-1010"], "discontinued").expect()),
    ("inventory", "PK-1010 is no longer sold", P().inv(["PK-1010"], "discontinued").expect()),
    ("inventory", "Allow pre-ordering of PK-1009", P().inv(["PK-1009"], "pre_order").expect()),
    # price-setting verbs and shapes (c3)
    ("base_price", "Let's charge $155 for the Summit Pack", P().base_to(["PK-1001"], "155").expect()),
    ("base_price", "Increase the cost of the Headlamp to $27.95", P().base_to(["PK-1011"], "27.95").expect()),
    ("base_price", "Trail Boot new price $169.50", P().base_to(["PK-1009"], "169.50").expect()),
    ("base_price", "Change the Boot Dryer from $39.99 to $42.99", P().base_to(["PK-1010"], "42.99").expect()),
    ("base_price", "Adjust the list price of PK-1013 upward by 5%", P().base_pct(["PK-1013"], 5).expect()),
    ("base_price", "Add $5 to the Camp Stove's price", P().base_amt(["PK-1012"], 5).expect()),
    ("base_price", "The Rain Shell retails at $104.90 from now on", P().base_to(["PK-1008"], "104.90").expect()),
    ("base_price", "Permanently lower the list price of PK-1014 by 10%", P().base_pct(["PK-1014"], -10).expect()),
    # questions (c6) and ending promos
    ("read", "What's the total number of products in Tents?", P().expect()),
    ("read", "Is there a promo on the Camp Stove?", P().expect()),
    ("read", "Does the Day Tripper have a promo?", P().expect()),
    ("read", "Price of PK-1009?", P().expect()),
    ("read", "Give me the image link for the Trail Boot", P().expect()),
    ("read", "What is PK-1013 priced at?", P().expect()),
    ("read", "What are we charging for the Summit Pack?", P().expect()),
    ("end_promo", "End all the promos in Accessories", P().end(cat("Accessories")).expect()),
    ("end_promo", "Take the discount off the Camp Stove", P().end(["PK-1012"]).expect()),
    ("end_promo", "No more discount on the Day Tripper", P().end(["PK-1003"]).expect()),
    ("end_promo", "The Down Puffer is no longer discounted", P().end(["PK-1007"]).expect()),
    ("end_promo", "Clear PK-1005's stored promo price", P().end(["PK-1005"]).expect()),
    # structured creates (c5)
    ("create", "New item: PK-2010 / Camp Chair / Accessories / $45.00", P().create("PK-2010", "Camp Chair", "Accessories", "45.00").expect()),
    ("create", "Add the Bivy Bag (PK-2011) to Tents at $99", P().create("PK-2011", "Bivy Bag", "Tents", "99").expect()),
    ("create", "We're adding PK-2012 Water Filter to Accessories at $34.50", P().create("PK-2012", "Water Filter", "Accessories", "34.50").expect()),
    ("create", "Create PK-2013 with name Rain Pants, category Jackets and price 79.00", P().create("PK-2013", "Rain Pants", "Jackets", "79.00").expect()),
    # sale vocabulary and promo verbs (c4)
    ("discount", "Reduce the Trail Boot by 10% for the sale", P().pct(["PK-1009"], 10).expect()),
    ("discount", "We're running 15% off Jackets", P().pct(cat("Jackets"), 15).expect()),
    ("discount", "Cut the Boot Dryer by $5 on promo", P().off(["PK-1010"], 5).expect()),
    ("promo_price", "Let's sell the Trail Boot at $149 on sale", P().at(["PK-1009"], 149).expect()),
    ("promo_price", "Feature the Summit Pack at a promo price of $129", P().at(["PK-1001"], 129).expect()),
    ("refuse", "reduce the Trail Boot by 10%", ERR),
    ("discount", "Tents clearance at 30% off", P().pct(cat("Tents"), 30).expect()),
    ("discount", "Start a clearance sale on Boots at 20% off", P().pct(cat("Boots"), 20).expect()),
    ("discount", "Clearance on all Jackets: 25% off", P().pct(cat("Jackets"), 25).expect()),
    ("discount", "30% off Tents for the clearance", P().pct(cat("Tents"), 30).expect()),
    ("discount", "Boots: 15% discount", P().pct(cat("Boots"), 15).expect()),
    ("discount", "Boots - 15% off", P().pct(cat("Boots"), 15).expect()),
    ("discount", "Let's do a 15% sale on all Accessories", P().pct(cat("Accessories"), 15).expect()),
    ("discount", "All Jackets 10% off while stocks last", P().pct(cat("Jackets"), 10).expect()),
    ("discount", "Reduce the Trail Boot's price by 10% for the promo", P().pct(["PK-1009"], 10).expect()),
    ("read", "Do we have anything under $30?", P().expect()),
    ("create", "Add product PK-2014 'Trail Mix Bag', category Accessories, $6.50", P().create("PK-2014", "Trail Mix Bag", "Accessories", "6.50").expect()),
    ("create", "We need a new product PK-2015 Sleeping Pad in Accessories at $59", P().create("PK-2015", "Sleeping Pad", "Accessories", "59").expect()),
    ("create", "New: PK-2016 Hand Warmer, Accessories, $4.99", P().create("PK-2016", "Hand Warmer", "Accessories", "4.99").expect()),
    ("create", "Please create the product PK-2017 Snow Stakes, Tents, $19.99, out of stock", P().create("PK-2017", "Snow Stakes", "Tents", "19.99", "out_of_stock").expect()),
    ("create", "Add the following product: SKU PK-2018, name Gaiters, category Boots, price $35", P().create("PK-2018", "Gaiters", "Boots", "35").expect()),
    ("promo_price", "Run a promo on the Trail Boot at $149", P().at(["PK-1009"], 149).expect()),
    ("promo_price", "Special offer: Summit Pack at $129", P().at(["PK-1001"], 129).expect()),
    ("promo_price", "Promo the Boot Dryer to $34.99", P().at(["PK-1010"], "34.99").expect()),
    ("promo_price", "Switch the Storm Shelter back to its promo price", P().activate(["PK-1005"]).expect()),
    ("promo_price", "Use the stored promo price for PK-1005", P().activate(["PK-1005"]).expect()),
    ("promo_price", "Bring the Storm Shelter's sale price back", P().activate(["PK-1005"]).expect()),
    ("refuse", "Bring the Trail Boot's sale price back", ERR),
    ("inventory", "Please show the Boot Dryer as sold out", P().inv(["PK-1010"], "out_of_stock").expect()),
    ("inventory", "Please have the Boot Dryer marked as discontinued", P().inv(["PK-1010"], "discontinued").expect()),
    ("inventory", "Note that the Summit Pack is sold out", P().inv(["PK-1001"], "out_of_stock").expect()),
    ("read", "Show items marked as low stock", P().expect()),
    ("read", "Have we got Trail Boots in stock?", P().expect()),
    ("end_promo", "Camp Stove: promo over", P().end(["PK-1012"]).expect()),
    ("end_promo", "Day Tripper - sale ended", P().end(["PK-1003"]).expect()),
    ("end_promo", "The discount on the Down Puffer should be removed", P().end(["PK-1007"]).expect()),
    ("end_promo", "The Camp Stove sale ends now", P().end(["PK-1012"]).expect()),
    ("end_promo", "Sell the Day Tripper at full price again", P().end(["PK-1003"]).expect()),
    ("discount", "10% discount applied to the Trail Boot", P().pct(["PK-1009"], 10).expect()),
    # ambiguous values and amounts in words
    ("refuse", "put the Trail Boot on a $40 deal", ERR),
    ("refuse", "put the Trail Boot on a deal at 40", ERR),
    ("discount", "knock ten dollars off the Boot Dryer", P().off(["PK-1010"], 10).expect()),
]


def main():
    for i, (category, request, expect) in enumerate(CASES + OWN, 1):
        print(json.dumps({"id": "extra-%03d" % i, "category": category, "request": request,
                          "expect": expect}))


if __name__ == "__main__":
    main()
