-- One database per service; no service reads another's tables.
CREATE DATABASE ingestion;
CREATE DATABASE features;
CREATE DATABASE training;
CREATE DATABASE registry;
CREATE DATABASE inference;
CREATE DATABASE monitoring;
CREATE DATABASE gateway;
