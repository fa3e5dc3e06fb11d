-- Checklist templates after the second review (DOMAIN.md §F4): a short template for each offence
-- it adds (s30 breach of an STPO/STRO, conspiracy, and the alternative charges), and a new
-- version (version 2, unless an administrator saved one already) of the templates whose items it
-- changes. Cases already open keep the versions they started with (case_templates); cases opened
-- from now on get the latest version of each.
--
-- The new version of T0 splits "victim and witness engagement" into the victim items §F4 lists and adds
-- the applications (hearsay, bad character, identification) and restraint and account freezing
-- orders; T1 cites s1(5) for consent; T2 names the s3 purposes, with s3(5) and s3(6) in place of
-- "criminal exploitation"; T4 adds the Brecani note; T5 names every STPO/STRO applicant. T3 is
-- unchanged and stays at version 1.
--
-- Items that arise only for some victims, witnesses or evidence (an intermediary, a child, a
-- witness abroad, bad character, identification) are optional, like §B7's variants [verify].
-- §F4 gives no stages: s28 and the applications are placed at FF (they are made to the trial
-- court), the victim personal statement at PC [verify]. The offence templates' items name the
-- elements as §F4 and §B7 give them; the mental elements of s30, s25, ss52–53A and ss327–329 are
-- written from the statutes' headings [verify].

-- +goose Up
-- Each template gets the version after its latest: an administrator may have saved versions of
-- T0–T5 already. New codes start at version 1.
INSERT INTO checklist_templates (code, version, title, applies_to, change_note, created_at)
SELECT n.code, COALESCE((SELECT MAX(t.version) FROM checklist_templates t WHERE t.code = n.code), 0) + 1,
    n.title, n.applies_to, n.change_note, CURRENT_TIMESTAMP
FROM (
    SELECT 'T0' AS code, 'Core (all MSA cases)' AS title, 'core' AS applies_to, 'Victim items, applications and restraint from DOMAIN.md §F4' AS change_note
    UNION ALL SELECT 'T1', 'Slavery, servitude, forced or compulsory labour (MSA 2015 s1)', 's1', 'Consent is irrelevant by s1(5) (DOMAIN.md §F4)'
    UNION ALL SELECT 'T2', 'Human trafficking (MSA 2015 s2)', 's2', 'The s3 purposes: s3(5) and s3(6), not "criminal exploitation" (DOMAIN.md §F4)'
    UNION ALL SELECT 'T4', 'Suspect may be a victim (s45 defence)', 's45', 'The conclusive grounds decision at trial: R v Brecani (DOMAIN.md §F4)'
    UNION ALL SELECT 'T5', 'STPO/STRO and financial orders', 'orders', 'GLAA labour abuse prevention officers may apply (DOMAIN.md §F4)'
    UNION ALL SELECT 'T6', 'Breach of an STPO or STRO (MSA 2015 s30)', 's30', 'From DOMAIN.md §F4'
    UNION ALL SELECT 'T7', 'Conspiracy (Criminal Law Act 1977 s1)', 'conspiracy', 'From DOMAIN.md §F4'
    UNION ALL SELECT 'T8', 'Facilitating unlawful immigration (Immigration Act 1971 s25)', 'ia1971_s25', 'From DOMAIN.md §F4'
    UNION ALL SELECT 'T9', 'Prostitution offences (Sexual Offences Act 2003 ss52–53A)', 'soa2003_s52_53a', 'From DOMAIN.md §F4'
    UNION ALL SELECT 'T10', 'Money laundering (POCA 2002 ss327–329)', 'poca_s327_329', 'From DOMAIN.md §F4'
    UNION ALL SELECT 'T11', 'Gangmaster offences (Gangmasters (Licensing) Act 2004 s12)', 'gla2004_s12', 'From DOMAIN.md §F4'
    UNION ALL SELECT 'T12', 'County lines drug supply (Misuse of Drugs Act 1971 s4(3))', 'mda1971_s4_3', 'From DOMAIN.md §F4'
) n;

INSERT INTO template_items (template_id, position, text, why, form, stage, required)
SELECT t.id, v.position, v.text, v.why, v.form, v.stage, v.required{{if postgres}} = 1{{end}}
FROM checklist_templates t JOIN (
    SELECT 'T0' AS code, 1 AS position, 'Points-to-prove matrix mapped to evidence' AS text, 'Code test; basis of MG5' AS why, 'MG3 PC; MG5 FF' AS form, 'PC' AS stage, 1 AS required
    UNION ALL SELECT 'T0', 2, 'Suspect profile: antecedents, vulnerability, interpreter, bail/RUI, PACE clock', 'NFS suspect section', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T0', 3, 'Interview record and summary of the suspect''s account', 'NFS defence-case section', 'MG15 PC', 'PC', 1
    UNION ALL SELECT 'T0', 4, 'Lines of inquiry: done, dropped (with reason), outstanding (with date)', 'NFS; CPIA', 'MG3/MG6 PC', 'PC', 1
    UNION ALL SELECT 'T0', 5, 'Outstanding-evidence register', 'NFS', 'MG6 PC', 'PC', 1
    UNION ALL SELECT 'T0', 6, 'Victim and witness engagement', 'Main point of failure', 'MG9/10 PC–FF', 'PC', 1
    UNION ALL SELECT 'T0', 7, 'ABE or video-recorded interview of each victim, with the interpreter''s details', 'Evidence-in-chief; an independent interpreter, never a relative', 'ABE/MG11 PC', 'PC', 1
    UNION ALL SELECT 'T0', 8, 'Intermediary for a victim or witness who needs one', 'Victims give their best evidence', 'MG2 PC–FF', 'PC', 0
    UNION ALL SELECT 'T0', 9, 'Special measures for each victim', 'MSA s46 makes trafficking victims eligible via YJCEA s17(4)', 'MG2 PC–FF', 'PC', 1
    UNION ALL SELECT 'T0', 10, 's28 pre-recorded cross-examination considered for each victim', 'Special measure', 'MG2 FF', 'FF', 1
    UNION ALL SELECT 'T0', 11, 'Victim personal statement', 'The harm done, for sentence', 'MG11 PC–FF', 'PC', 1
    UNION ALL SELECT 'T0', 12, 'Independent child trafficking guardian for each child victim', 'Children', 'MG6 PC', 'PC', 0
    UNION ALL SELECT 'T0', 13, 'Extraction from victims'' devices only under the Police, Crime, Sentencing and Courts Act 2022 s37 code', 'Lawful extraction; victims'' privacy', 'MG3/MG6 PC', 'PC', 1
    UNION ALL SELECT 'T0', 14, 'NRM or MS1 referral and RG/CG dates for each victim', 's52; safeguarding; the CG decision is not expert evidence at trial (R v Brecani)', 'MG6 PC', 'PC', 1
    UNION ALL SELECT 'T0', 15, 'Financial strategy, FIU contact, restraint orders and account freezing orders (POCA)', 'NFS; needed for reparation', 'MG3, MG17 EIA–PC', 'EIA', 1
    UNION ALL SELECT 'T0', 16, 'Linked suspects and operations (ROCU, NCA, GLAA)', 'Avoids coordination delay', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T0', 17, 'Digital strategy: reasons, keywords, date ranges', 'NFS; AG Guidelines Annex A', 'MG3/MG6 PC', 'PC', 1
    UNION ALL SELECT 'T0', 18, 'Exhibit list and continuity statements', 'Chain of custody', 'MG11/12 PC–FF', 'PC', 1
    UNION ALL SELECT 'T0', 19, 'Hearsay application (CJA 2003 s116), e.g. a victim who has returned abroad', 'Evidence of an absent witness', 'MG11 FF', 'FF', 0
    UNION ALL SELECT 'T0', 20, 'Bad character application (CJA 2003 ss100–101)', 'Previous conduct of a defendant or witness', 'MG16 FF', 'FF', 0
    UNION ALL SELECT 'T0', 21, 'Identification procedures (PACE Code D)', 'Identity of the suspect', 'MG11 PC', 'PC', 0
    UNION ALL SELECT 'T0', 22, 'Unused material schedules and MG6E; DMD in the Crown Court', 'CPIA', 'MG6C/D/E D', 'D', 1
    UNION ALL SELECT 'T0', 23, 'Ancillary orders (STPO, forfeiture, reparation)', 'Prevention and compensation', 'MG13 FF', 'FF', 1
    UNION ALL SELECT 'T1', 1, 'Victim account of recruitment, conditions, threats, inability to leave', '"Held" or "required" element', 'ABE/MG11 PC', 'PC', 1
    UNION ALL SELECT 'T1', 2, 'Control evidence: retained ID, restricted movement, debt ledgers', 'Compulsion; the victim''s consent is irrelevant (s1(5))', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T1', 3, 'Work evidence: hours, sites, employer or client records, GLAA licence', 'Labour was extracted', 'MG11 PC', 'PC', 1
    UNION ALL SELECT 'T1', 4, 'Pay evidence: withheld wages, controlled accounts', 'Benefit; POCA', 'MG17 PC', 'PC', 1
    UNION ALL SELECT 'T1', 5, 'Accommodation: tenancy, occupancy, photos or body-worn video', 'Dependency', 'MG12 PC', 'PC', 1
    UNION ALL SELECT 'T1', 6, 'Vulnerability factors (age, health, language, immigration status)', 's1(4)', 'MG11/medical PC', 'PC', 1
    UNION ALL SELECT 'T1', 7, 'Knowledge: the suspect''s communications and role', '"Knew or ought to know"', 'MG15/comms PC', 'PC', 1
    UNION ALL SELECT 'T1', 8, 'Independent witnesses (co-workers, neighbours, NGOs)', 'Corroboration', 'MG11 PC–FF', 'PC', 1
    UNION ALL SELECT 'T1', 9, 'Domestic-servitude variant: visa sponsorship, confinement', 'Typology', 'MG11/12 PC', 'PC', 0
    UNION ALL SELECT 'T2', 1, 'Travel proof: tickets, passenger and border records, ANPR, vehicles', 'Travel element', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T2', 2, 'Suspect''s act: recruit, transport, harbour, receive, transfer control', 'Arranging or facilitating', 'Comms/MG15 PC', 'PC', 1
    UNION ALL SELECT 'T2', 3, 'Intended exploitation: slavery or forced labour, sexual exploitation, organ removal, securing services by force, threats or deception (s3(5)), or from children or vulnerable persons (s3(6))', 's3 purpose', 'MG11/adverts PC', 'PC', 1
    UNION ALL SELECT 'T2', 4, 'Nationality and place of the conduct', 's2(6)–(7) jurisdiction', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T2', 5, 'Overseas evidence and letter-of-request status', 'Slow; start early', 'EIA/MG6', 'EIA', 1
    UNION ALL SELECT 'T2', 6, 'Sexual-exploitation variant: adverts, payments, premises', 'Purpose; alternative charges', 'MG12 PC', 'PC', 0
    UNION ALL SELECT 'T2', 7, 'County-lines variant: line-phone data, cash, safeguarding', 'Exploiter or exploited; s45', 'Comms/MG11 PC', 'PC', 0
    UNION ALL SELECT 'T2', 8, 'Vehicle, ship or aircraft used', 'Forfeiture (ss11–12)', 'MG13 FF', 'FF', 1
    UNION ALL SELECT 'T4', 1, 'Exploitation indicators and how they were investigated', 'CPS four-stage approach', 'MG3/MG6 PC', 'PC', 1
    UNION ALL SELECT 'T4', 2, 'NRM referral or reason for none; RG/CG outcome', 'Prosecutor review', 'MG6 PC', 'PC', 1
    UNION ALL SELECT 'T4', 3, 'A positive conclusive grounds decision: the prosecutor''s reasons for departing from it', 'The CG decision is not admissible as expert evidence (R v Brecani [2021] EWCA Crim 731)', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T4', 4, 'Check against Schedule 4 exclusions', 'Whether s45 is available', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T4', 5, 'Compulsion evidence for and against', 'Prosecution must disprove s45', 'MG11 PC–FF', 'PC', 1
    UNION ALL SELECT 'T4', 6, 'Social-care, NGO and medical material scheduled', 'Disclosure requests', 'MG6C/D D', 'D', 1
    UNION ALL SELECT 'T5', 1, 'Conviction (STPO) or risk evidence (STRO)', 'Statutory gateway', 'MG13/complaint', 'FF', 1
    UNION ALL SELECT 'T5', 2, 'Each prohibition justified as necessary; travel ban and passports', 'Necessity test', 'MG13', 'FF', 1
    UNION ALL SELECT 'T5', 3, 'Applicant: chief officer of police, NCA, immigration officer or GLAA labour abuse prevention officer; the chief officer notified when another applies', 's15(7)', 'Application', 'FF', 1
    UNION ALL SELECT 'T5', 4, 'Confiscation leading to a reparation order', 'Victim compensation', 'MG17/19', 'FF', 1
    UNION ALL SELECT 'T6', 1, 'The order breached (STPO or STRO): a copy, its prohibitions and when it was made', 'The order was in force', 'MG12 PC', 'PC', 1
    UNION ALL SELECT 'T6', 2, 'What the suspect did that the order prohibits', 'Conduct element', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T6', 3, 'The suspect''s account and any excuse given', 'Without reasonable excuse', 'MG15 PC', 'PC', 1
    UNION ALL SELECT 'T7', 1, 'The agreement: who agreed with whom, and when', 'Agreement of two or more people', 'Comms/MG15 PC', 'PC', 1
    UNION ALL SELECT 'T7', 2, 'The offence the agreement was to commit (its own checklist applies too)', 'The substantive offence', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T7', 3, 'Each conspirator''s role and links to the others: communications, meetings, money', 'Each party to the agreement', 'Comms/MG11 PC', 'PC', 1
    UNION ALL SELECT 'T8', 1, 'The act facilitating: travel, documents, entry or stay arranged', 'Facilitation', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T8', 2, 'The breach of immigration law by the person assisted', 'Unlawful immigration', 'MG11 PC', 'PC', 1
    UNION ALL SELECT 'T8', 3, 'The suspect''s knowledge or reasonable cause to believe it', 'Mental element', 'Comms/MG15 PC', 'PC', 1
    UNION ALL SELECT 'T8', 4, 'Border Force and Immigration Enforcement records', 'Travel and status', 'MG11 PC', 'PC', 1
    UNION ALL SELECT 'T9', 1, 'Adverts, payments and premises', 'Prostitution for gain', 'MG12 PC', 'PC', 1
    UNION ALL SELECT 'T9', 2, 'The suspect''s part in causing or controlling prostitution', 'ss52–53', 'MG11/comms PC', 'PC', 1
    UNION ALL SELECT 'T9', 3, 'Paying for sexual services: the payment, and the force, threats or deception used on the person', 's53A', 'MG11/12 PC', 'PC', 0
    UNION ALL SELECT 'T10', 1, 'The criminal property: what it is and the crime it comes from', 'Criminal property', 'MG17 PC', 'PC', 1
    UNION ALL SELECT 'T10', 2, 'The dealing: concealing, arranging, acquiring, using or possessing', 'ss327–329', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T10', 3, 'The suspect''s knowledge or suspicion that it is criminal property', 'Mental element', 'MG15 PC', 'PC', 1
    UNION ALL SELECT 'T10', 4, 'Financial investigator''s analysis of accounts and transfers', 'Financial strategy', 'MG17 EIA–PC', 'EIA', 1
    UNION ALL SELECT 'T11', 1, 'GLAA licence check for the suspect', 'Licensing', 'MG11 PC', 'PC', 1
    UNION ALL SELECT 'T11', 2, 'Gangmaster activity: the workers supplied or used, and for whom', 'Acting as a gangmaster', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T11', 3, 'Payroll and agency records', 'Workers supplied and paid', 'MG11 PC', 'PC', 1
    UNION ALL SELECT 'T11', 4, 'Liaison with the GLAA''s labour abuse prevention officers', 'Partner agency', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T12', 1, 'Line-phone data: attribution, messages, cell-site', 'Supply or being concerned in supply', 'Comms/MG11 PC', 'PC', 1
    UNION ALL SELECT 'T12', 2, 'Drugs and cash seized, with forensic results', 'Controlled drug; proceeds', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T12', 3, 'Each person''s role: exploiter or exploited', 's45; safeguarding', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T12', 4, 'Safeguarding and NRM referral of children and vulnerable people running the line', 'Safeguarding', 'MG6 PC', 'PC', 1
) v ON v.code = t.code AND t.version = (SELECT MAX(t2.version) FROM checklist_templates t2 WHERE t2.code = t.code);

-- +goose Down
-- The rows this version added: the templates no administrator saved (created_by is NULL) after
-- version 1, and every version of the new codes.
DELETE FROM template_items WHERE template_id IN (SELECT id FROM checklist_templates
    WHERE (created_by IS NULL AND version > 1) OR code IN ('T6', 'T7', 'T8', 'T9', 'T10', 'T11', 'T12'));
DELETE FROM checklist_templates
    WHERE (created_by IS NULL AND version > 1) OR code IN ('T6', 'T7', 'T8', 'T9', 'T10', 'T11', 'T12');
