-- one database per service, as on ./platform up
CREATE DATABASE meridian_users;
CREATE DATABASE meridian_inference;
