"""Value pools built once per process: names, companies, e-mail addresses."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .text import _join, _large


def _words(text: str) -> list[str]:
    return text.split()


_FIRST_NAMES = _words(
    """James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David
Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa
Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna
Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald
Rebecca Edward Sharon Jason Laura Jeffrey Cynthia Ryan Kathleen Jacob Amy Gary Angela Nicholas
Shirley Eric Anna Jonathan Brenda Stephen Pamela Larry Emma Justin Nicole Scott Helen Brandon
Samantha Benjamin Katherine Samuel Christine Gregory Debra Alexander Rachel Frank Carolyn Patrick
Janet Raymond Catherine Jack Maria Dennis Heather Jerry Diane Tyler Ruth Aaron Julie Jose Olivia
Adam Joyce Nathan Virginia Henry Victoria Douglas Kelly Zachary Lauren Peter Christina Kyle Joan
Noah Evelyn Ethan Judith Jeremy Megan Walter Andrea Christian Cheryl Keith Hannah Roger Jacqueline
Terry Martha Austin Gloria Sean Teresa Gerald Ann Carl Sara Harold Madison Dylan Frances Arthur
Kathryn Lawrence Janice Jordan Jean Jesse Abigail Bryan Alice Billy Judy Bruce Sophia Gabriel
Grace Joe Denise Logan Amber Alan Doris Juan Marilyn Albert Danielle Elijah Isabella Wayne Theresa
Randy Diana Vincent Natalie Mason Brittany Roy Charlotte Ralph Marie Bobby Kayla Russell Alexis
Bradley Lori Philip Lena Lukas Sofia Mateo Chloe Hugo Ines Luca Elena Felix Klara Jonas Mila Leon
Freya Omar Aisha Ravi Priya Wei Mei Kenji Yuki Carlos Lucia Pedro Camila Ahmed Fatima Ivan Olga
"""
)
_LAST_NAMES = _words(
    """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson
White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres
Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez
Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook
Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez
Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell
Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander
Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran
Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods
Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson
Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner
Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson
Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce
Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane
Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras
Willis Carpenter Lawrence Sandoval Becker Fischer Weber Wagner Schulz Keller Richter Wolf Neumann
"""
)
_COMPANY_PREFIXES = _words(
    """Acme Apex Atlas Blue Bright Cedar Coastal Crown Delta Eagle Evergreen
First Global Golden Granite Harbor Horizon Iron Keystone Liberty Lunar Maple Meridian Metro Nordic
North Northwind Oak Pacific Pinnacle Pioneer Prime Quantum Red Redwood Riverside Silver Solar
Summit Sterling Sun Titan Union United Vertex Vista West Zenith"""
)
_COMPANY_NOUNS = _words(
    """Analytics Bakery Brands Builders Capital Chemicals Consulting Designs
Dynamics Electronics Energy Engineering Foods Freight Goods Holdings Industries Labs Logistics
Machines Manufacturing Media Metals Motors Networks Outfitters Packaging Partners Pharma Plastics
Retail Robotics Services Shipping Software Solutions Supply Systems Technologies Textiles Tools
Trading Traders Ventures Works"""
)
_COMPANY_SUFFIXES = _words("Inc LLC Ltd GmbH Co Corp AG SA BV Group")
# Share of addresses per domain, roughly as consumer mailboxes are spread.
_EMAIL_DOMAINS = {
    "gmail.com": 0.28,
    "outlook.com": 0.12,
    "yahoo.com": 0.10,
    "hotmail.com": 0.07,
    "icloud.com": 0.06,
    "example.com": 0.08,
    "example.org": 0.05,
    "gmx.de": 0.05,
    "web.de": 0.04,
    "proton.me": 0.03,
    "mail.com": 0.04,
    "aol.com": 0.02,
    "fastmail.com": 0.02,
    "orange.fr": 0.04,
}
_EMAIL_POOL_SIZE = 150_000


@functools.cache
def _name_pools() -> dict[str, Any]:
    first, last = _large(_FIRST_NAMES), _large(_LAST_NAMES)
    fi = np.repeat(np.arange(len(first)), len(last))
    li = np.tile(np.arange(len(last)), len(first))
    full = _join(first.take(fi), last.take(li), sep=" ")
    return {"first": first, "last": last, "full": full}


@functools.cache
def _company_pool() -> Any:
    words = [_COMPANY_PREFIXES, _COMPANY_NOUNS, _COMPANY_SUFFIXES]
    grids = np.meshgrid(*(np.arange(len(w)) for w in words), indexing="ij")
    parts = [_large(w).take(g.ravel()) for w, g in zip(words, grids, strict=True)]
    return _join(*parts, sep=" ")


@functools.cache
def _local_parts() -> Any:
    """Mailbox names like anna.smith, a.smith, anna_smith42, built once per process."""
    rng = np.random.default_rng(20_260_101)
    size = _EMAIL_POOL_SIZE
    first = pc.ascii_lower(_large(_FIRST_NAMES)).take(rng.integers(0, len(_FIRST_NAMES), size))
    last = pc.ascii_lower(_large(_LAST_NAMES)).take(rng.integers(0, len(_LAST_NAMES), size))
    digits = _large(str(d) for d in range(10, 100)).take(rng.integers(0, 90, size))
    variants = [
        _join(first, ".", last),
        _join(first, last),
        _join(pc.utf8_slice_codeunits(first, 0, 1), ".", last),
        _join(first, "_", last),
        _join(first, ".", last, digits),
        _join(first, digits),
    ]
    pick = rng.integers(0, len(variants), size) * size + np.arange(size)
    return pa.concat_arrays(variants).take(pick)


@functools.cache
def _email_pool(domains: tuple[str, ...]) -> Any:
    """Distinct addresses (local part @ domain); default domains weighted like real mailboxes."""
    rng = np.random.default_rng(20_260_102)
    local = _local_parts()
    names = domains or tuple(_EMAIL_DOMAINS)
    weights = None if domains else np.array([_EMAIL_DOMAINS[d] for d in names])
    chosen = rng.choice(
        len(names), len(local), p=None if weights is None else weights / weights.sum()
    )
    return pc.unique(_join(local, _large("@" + d for d in names).take(chosen)))
