CREATE TABLE stock (item text, qty int);
INSERT INTO stock VALUES ('tea', 3), ('cake', 0);
SELECT item FROM stock WHERE qty > 0;
SELECT 1 / 0;
CHECKPOINT;
