{#- Pinball (quantile) loss of one quantile forecast: under-forecasting costs q per unit, over-forecasting
    1 - q, so the loss is smallest at the true q-quantile. Null where the quantile is. -#}
{% macro pinball(actual, quantile_forecast, q) -%}
    greatest({{ q }} * ({{ actual }} - {{ quantile_forecast }}), ({{ q }} - 1) * ({{ actual }} - {{ quantile_forecast }}))
{%- endmacro %}
