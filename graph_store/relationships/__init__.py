"""The relationship graph: households, accounts and their hierarchy, contacts, referrals, shared identifiers.

Model (every relationship carries ``source`` and ``since``)::

    (:Customer)-[:MEMBER_OF {role}]->(:Household)
    (:Customer)-[:WORKS_AT {title}]->(:Account)-[:SUBSIDIARY_OF]->(:Account)
    (:Customer)-[:REFERRED {campaign}]->(:Customer)
    (:Customer)-[:HAS_IDENTIFIER]->(:Identifier)<-[:HAS_IDENTIFIER]-(:Customer)   # a shared identifier

Reads take a batch of ids and cost one Cypher call; writes validate and change in one transaction.
"""
