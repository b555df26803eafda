-- Settlement tax rules (WIT 0.2.0): a third kind of platform rule, and an
-- account's country (ISO 3166-1 alpha-2), which tax rules read: withholding
-- and digital services taxes depend on it (seller guide §8.1).
ALTER TABLE accounts ADD COLUMN country TEXT;

ALTER TABLE rule_activations DROP CONSTRAINT rule_activations_kind_check;
ALTER TABLE rule_activations ADD CONSTRAINT rule_activations_kind_check
    CHECK (kind IN ('review', 'pricing', 'settlement'));
