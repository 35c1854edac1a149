package io.gatehouse;
public final class Gatehouse { public static void main(String[] a) {} }
